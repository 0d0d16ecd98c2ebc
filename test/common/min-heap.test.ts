import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/common/index.js';

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
