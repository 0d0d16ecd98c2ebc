// Pareto frontier of two quantities that are both maximised.

/**
 * Items no other item beats on both axes (>= on both and > on one). Ties are all kept, so every
 * item left out is strictly dominated by one on the front. Sorted by x ascending (y descending).
 */
export function paretoFront<T>(items: readonly T[], x: (item: T) => number, y: (item: T) => number): T[] {
  // Sweep from largest x down: an item is on the front when its y beats every y seen at larger x.
  const sorted = [...items].sort((a, b) => x(b) - x(a) || y(b) - y(a));
  const front: T[] = [];
  let bestY = Number.NEGATIVE_INFINITY;
  let groupX = Number.NaN;
  let groupBestY = Number.NEGATIVE_INFINITY;
  // Within one x, items with the group's top y tie; below it they are dominated by that top item.
  let yBeforeGroup = Number.NEGATIVE_INFINITY;
  for (const item of sorted) {
    const ix = x(item);
    const iy = y(item);
    if (ix !== groupX) {
      yBeforeGroup = bestY;
      groupX = ix;
      groupBestY = iy;
    }
    if (iy === groupBestY && iy > yBeforeGroup) front.push(item);
    if (iy > bestY) bestY = iy;
  }
  return front.reverse();
}

/** Whether `a` dominates `b` (maximising both axes). */
export function dominates<T>(a: T, b: T, x: (item: T) => number, y: (item: T) => number): boolean {
  return x(a) >= x(b) && y(a) >= y(b) && (x(a) > x(b) || y(a) > y(b));
}
