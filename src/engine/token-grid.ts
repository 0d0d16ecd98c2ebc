// The log-spaced grid token counts and kv lengths are bucketed on, so caches keyed by them stay
// small: every integer up to 2^log2Points, then 2^log2Points points per octave.

/** Default: 16 points per octave. */
export const LOG2_POINTS = 4;

/** Largest grid point <= n (n >= 1). */
export function gridBelow(n: number, log2Points = LOG2_POINTS): number {
  const whole = Math.floor(n);
  if (whole <= 1 << log2Points) return whole;
  const shift = 31 - Math.clz32(whole) - log2Points;
  return (whole >>> shift) << shift;
}

/** Smallest grid point > below (the next one up); n itself when it is a grid point. */
export function gridAbove(n: number, below: number, log2Points = LOG2_POINTS): number {
  if (below === n) return n;
  if (below < 1 << log2Points) return below + 1;
  return below + (1 << (31 - Math.clz32(below) - log2Points));
}

/** Nearest grid point (2^log2Points per octave). */
export function snapToGrid(n: number, log2Points = LOG2_POINTS): number {
  if (n <= 1 << log2Points) return Math.round(n);
  const lo = gridBelow(n, log2Points);
  const hi = gridAbove(n, lo, log2Points);
  return n - lo < hi - n ? lo : hi;
}
