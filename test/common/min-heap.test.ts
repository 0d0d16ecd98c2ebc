import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap, NumberMinHeap } from '../../src/common/index.js';

describe('MinHeap', () => {
  it('pops items in key order whatever order they were pushed in', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), (keys) => {
        const heap = new MinHeap<{ key: number }>((item) => item.key);
        for (const key of keys) heap.push({ key });
        expect(heap.size).toBe(keys.length);
        const popped: number[] = [];
        while (heap.size > 0) {
          // peek shows what pop takes next.
          const top = heap.peek();
          const item = heap.pop()!;
          expect(item).toBe(top);
          popped.push(item.key);
        }
        expect(popped).toEqual([...keys].sort((a, b) => a - b));
        expect(heap.pop()).toBeUndefined();
      }),
    );
  });

  it('keeps its order when pushes and pops interleave', () => {
    const heap = new MinHeap<number>((t) => t);
    for (const t of [5, 1, 4]) heap.push(t);
    expect(heap.pop()).toBe(1);
    heap.push(0);
    heap.push(3);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([0, 3, 4, 5]);
  });
});

describe('NumberMinHeap', () => {
  it('pops numbers in order, growing past its first capacity, with pushes and pops interleaved', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true, min: -1e9, max: 1e9 }), fc.constant(Number.NaN)), {
          maxLength: 200,
        }),
        (ops) => {
          // NaN stands for a pop; every other value is pushed. A sorted array is the reference.
          const heap = new NumberMinHeap(1);
          const reference: number[] = [];
          for (const op of ops) {
            if (Number.isNaN(op)) {
              reference.sort((a, b) => a - b);
              expect(heap.pop()).toBe(reference.shift());
            } else {
              heap.push(op);
              reference.push(op);
            }
            expect(heap.size).toBe(reference.length);
          }
        },
      ),
    );
  });
});
