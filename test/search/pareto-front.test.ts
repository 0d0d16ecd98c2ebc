import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dominates, paretoFront } from '../../src/search/index.js';

type P = { x: number; y: number; id: number };
const X = (p: P) => p.x;
const Y = (p: P) => p.y;

describe('paretoFront', () => {
  it('keeps exactly the undominated points (property)', () => {
    // Small integer grids make ties and duplicates common, the cases a sweep gets wrong.
    const points = fc.array(
      fc.record({ x: fc.integer({ min: 0, max: 8 }), y: fc.integer({ min: 0, max: 8 }) }),
      {
        maxLength: 40,
      },
    );
    fc.assert(
      fc.property(points, (raw) => {
        const items: P[] = raw.map((p, id) => ({ ...p, id }));
        const front = paretoFront(items, X, Y);
        const onFront = new Set(front.map((p) => p.id));
        for (const p of front) expect(items.some((q) => dominates(q, p, X, Y))).toBe(false);
        for (const p of items) {
          if (onFront.has(p.id)) continue;
          expect(front.some((q) => dominates(q, p, X, Y))).toBe(true);
        }
        for (let i = 1; i < front.length; i++) expect(front[i]!.x).toBeGreaterThanOrEqual(front[i - 1]!.x);
      }),
      { numRuns: 400 },
    );
  });

  it('orders a small front by x and drops dominated points', () => {
    const items: P[] = [
      { x: 1, y: 10, id: 0 },
      { x: 2, y: 8, id: 1 },
      { x: 2, y: 5, id: 2 },
      { x: 5, y: 1, id: 3 },
      { x: 0.5, y: 9, id: 4 },
    ];
    expect(paretoFront(items, X, Y).map((p) => p.id)).toEqual([0, 1, 3]);
    expect(paretoFront([], X, Y)).toEqual([]);
  });
});
