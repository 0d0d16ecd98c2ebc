// The lookup index of one group of rows (one dtype, one distribution, ...): a tree with one level
// per interpolation axis, sorted keys per node, latencies at the leaves. Evaluating it brackets
// each axis, blends the branches, and holds utilisation (SOL / latency) outside the data.
// Built once at load; a query allocates nothing (scratch arrays live on the tree).

/** How two bracketing branches are blended along one axis. */
export type BlendMode = 'loglog' | 'linear' | 'sqrt' | 'util' | 'pchip';

export interface AxisConfig {
  readonly name: string;
  readonly blend: BlendMode;
  /** Furthest (in octaves) a query may sit from the nearest key before this branch is unusable. */
  readonly maxOctaves: number;
}

export interface AxisNode {
  readonly keys: Float64Array;
  readonly logKeys: Float64Array;
  /** Inner levels: one child per key. */
  readonly children: readonly AxisNode[] | null;
  /** Leaf level: latency (ms) and row index per key. */
  readonly latency: Float64Array | null;
  readonly rows: Int32Array | null;
}

/** SOL latency (ms) at a point given in axis order. */
export type PointSol = (point: Float64Array) => number;

const log2Key = (k: number) => Math.log2(k > 0 ? k : Number.MIN_VALUE);

/**
 * Build the node over sorted entries [from, to) at `level`. `order` lists entry indices sorted
 * lexicographically by coordinates (ties: later row last); `coord(e, level)` reads a coordinate.
 */
function buildNode(
  order: Uint32Array,
  from: number,
  to: number,
  level: number,
  depth: number,
  coord: (entry: number, level: number) => number,
  rowOf: Int32Array,
  latency: Float64Array,
): AxisNode {
  let distinct = 0;
  for (let i = from; i < to; i++)
    if (i === from || coord(order[i]!, level) !== coord(order[i - 1]!, level)) distinct++;
  const keys = new Float64Array(distinct);
  if (level === depth - 1) {
    const rows = new Int32Array(distinct);
    let j = -1;
    for (let i = from; i < to; i++) {
      const e = order[i]!;
      const key = coord(e, level);
      if (j < 0 || key !== keys[j]) keys[++j] = key;
      rows[j] = rowOf[e]!; // the latest row of equal coordinates wins
    }
    return {
      keys,
      logKeys: keys.map(log2Key),
      children: null,
      latency: Float64Array.from(rows, (r) => latency[r]!),
      rows,
    };
  }
  const children: AxisNode[] = [];
  let start = from;
  for (let i = from + 1; i <= to; i++) {
    if (i === to || coord(order[i]!, level) !== coord(order[start]!, level)) {
      keys[children.length] = coord(order[start]!, level);
      children.push(buildNode(order, start, i, level + 1, depth, coord, rowOf, latency));
      start = i;
    }
  }
  return { keys, logKeys: keys.map(log2Key), children, latency: null, rows: null };
}

/**
 * Entry indices sorted by coordinates (ties by entry index). Ranks per axis are packed into one
 * float64 with the entry index in the low bits, so the sort is a native numeric one.
 */
function sortEntries(matrix: Float64Array, n: number, depth: number): Uint32Array {
  // Tables written by `db import` are stored in index order: detect that and skip the sort.
  let sorted = true;
  for (let e = 1; e < n && sorted; e++) {
    for (let level = 0; level < depth; level++) {
      const d = matrix[e * depth + level]! - matrix[(e - 1) * depth + level]!;
      if (d > 0) break;
      if (d < 0) {
        sorted = false;
        break;
      }
    }
  }
  if (sorted) {
    const identity = new Uint32Array(n);
    for (let e = 0; e < n; e++) identity[e] = e;
    return identity;
  }
  const rankOf: Map<number, number>[] = [];
  let bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const axisBits: number[] = [];
  for (let level = 0; level < depth; level++) {
    const values = new Set<number>();
    for (let e = 0; e < n; e++) values.add(matrix[e * depth + level]!);
    const sorted = Float64Array.from(values).sort();
    rankOf.push(new Map(Array.from(sorted, (v, i) => [v, i])));
    const b = Math.max(1, Math.ceil(Math.log2(sorted.length + 1)));
    axisBits.push(b);
    bits += b;
  }
  const order = new Uint32Array(n);
  if (bits <= 52) {
    const packed = new Float64Array(n);
    const entryScale = 2 ** Math.max(1, Math.ceil(Math.log2(n + 1)));
    for (let e = 0; e < n; e++) {
      let key = 0;
      for (let level = 0; level < depth; level++)
        key = key * 2 ** axisBits[level]! + rankOf[level]!.get(matrix[e * depth + level]!)!;
      packed[e] = key * entryScale + e;
    }
    packed.sort();
    for (let i = 0; i < n; i++) order[i] = packed[i]! % entryScale;
    return order;
  }
  for (let e = 0; e < n; e++) order[e] = e;
  return order.sort((a, b) => {
    for (let level = 0; level < depth; level++) {
      const d = matrix[a * depth + level]! - matrix[b * depth + level]!;
      if (d !== 0) return d;
    }
    return a - b;
  });
}

/**
 * Monotone cubic (PCHIP, Fritsch-Carlson slopes) through the leaf's points in log-log space,
 * between keys lo - 1 and lo: follows the curvature of the neighbouring points without overshoot.
 */
function pchipLogLog(node: AxisNode, lo: number, x: number): number {
  const X = node.logKeys;
  const L = node.latency!;
  const n = X.length;
  const i0 = lo - 1;
  const i1 = lo;
  const y = (i: number) => Math.log2(L[i]!);
  const h = X[i1]! - X[i0]!;
  const d = (y(i1) - y(i0)) / h;
  const slope = (dLeft: number | undefined, dRight: number | undefined, hLeft: number, hRight: number) => {
    if (dLeft === undefined) return dRight!;
    if (dRight === undefined) return dLeft;
    if (dLeft * dRight <= 0) return 0;
    const w1 = 2 * hRight + hLeft;
    const w2 = hRight + 2 * hLeft;
    return (w1 + w2) / (w1 / dLeft + w2 / dRight);
  };
  const hPrev = i0 > 0 ? X[i0]! - X[i0 - 1]! : 0;
  const dPrev = i0 > 0 ? (y(i0) - y(i0 - 1)) / hPrev : undefined;
  const hNext = i1 < n - 1 ? X[i1 + 1]! - X[i1]! : 0;
  const dNext = i1 < n - 1 ? (y(i1 + 1) - y(i1)) / hNext : undefined;
  const m0 = slope(dPrev, d, hPrev, h);
  const m1 = slope(d, dNext, h, hNext);
  const t = (Math.log2(x) - X[i0]!) / h;
  const t2 = t * t;
  const t3 = t2 * t;
  const value =
    (2 * t3 - 3 * t2 + 1) * y(i0) +
    (t3 - 2 * t2 + t) * h * m0 +
    (-2 * t3 + 3 * t2) * y(i1) +
    (t3 - t2) * h * m1;
  return 2 ** value;
}

export interface EvalFlags {
  exact: boolean;
  /** Row of an exact hit (for power), else -1. */
  row: number;
}

export class AxisTree {
  readonly root: AxisNode;
  readonly axes: readonly AxisConfig[];
  /** Smallest and largest key of each axis over the whole group (for provenance). */
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** Duplicate coordinates met while building (the later row wins). */
  readonly collisions: number;
  /** Description of the first branch taken per axis in the latest evaluation (for `source`). */
  readonly traceLo: Float64Array;
  readonly traceHi: Float64Array;
  readonly traceKind: Uint8Array; // 0 exact, 1 bracket, 2 hold, 3 unusable

  private readonly query: Float64Array;
  private readonly point: Float64Array;
  private sol: PointSol = () => 1;
  private flags: EvalFlags = { exact: true, row: -1 };

  /** `coords(row, out)` writes a row's coordinates in axis order; rows with a non-finite latency are skipped. */
  constructor(
    axes: readonly AxisConfig[],
    rowIds: ArrayLike<number>,
    coords: (row: number, out: Float64Array) => void,
    latency: Float64Array,
  ) {
    this.axes = axes;
    const depth = axes.length;
    this.min = new Float64Array(depth).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(depth).fill(Number.NEGATIVE_INFINITY);
    this.query = new Float64Array(depth);
    this.point = new Float64Array(depth);
    this.traceLo = new Float64Array(depth);
    this.traceHi = new Float64Array(depth);
    this.traceKind = new Uint8Array(depth);
    const n = rowIds.length;
    const matrix = new Float64Array(n * depth);
    const rowOf = Int32Array.from(rowIds);
    const c = new Float64Array(depth);
    for (let e = 0; e < n; e++) {
      coords(rowOf[e]!, c);
      for (let level = 0; level < depth; level++) {
        const key = c[level]!;
        matrix[e * depth + level] = key;
        if (key < this.min[level]!) this.min[level] = key;
        if (key > this.max[level]!) this.max[level] = key;
      }
    }
    const coord = (entry: number, level: number) => matrix[entry * depth + level]!;
    const order = sortEntries(matrix, n, depth);
    let collisions = 0;
    for (let i = 1; i < n; i++) {
      let same = true;
      for (let level = 0; level < depth && same; level++)
        same = coord(order[i]!, level) === coord(order[i - 1]!, level);
      if (same) collisions++;
    }
    this.collisions = collisions;
    this.root = buildNode(order, 0, n, 0, depth, coord, rowOf, latency);
  }

  /** Visit every data point: its coordinates (axis order; reused array), latency and row. */
  forEachLeaf(
    visit: (point: Float64Array, latencyMs: number, row: number, indexInLeaf: number) => void,
  ): void {
    const point = new Float64Array(this.axes.length);
    const walk = (node: AxisNode, level: number) => {
      for (let i = 0; i < node.keys.length; i++) {
        point[level] = node.keys[i]!;
        if (node.children) walk(node.children[i]!, level + 1);
        else visit(point, node.latency![i]!, node.rows![i]!, i);
      }
    };
    walk(this.root, 0);
  }

  /** Visit each innermost-axis curve (keys and latencies along the last axis). */
  forEachCurve(visit: (keys: Float64Array, latency: Float64Array) => void): void {
    const walk = (node: AxisNode) => {
      if (node.children) for (const child of node.children) walk(child);
      else visit(node.keys, node.latency!);
    };
    walk(this.root);
  }

  /** Smallest latency / SOL over the group's rows (below 1 = some data beats SOL). */
  minRatio(sol: PointSol): number {
    let min = Number.POSITIVE_INFINITY;
    this.forEachLeaf((point, latencyMs) => {
      const ratio = latencyMs / sol(point);
      if (ratio < min) min = ratio;
    });
    return min;
  }

  /**
   * Latency (ms) at `query` (axis order); NaN when no usable neighbour exists. `flags` is filled
   * with how the answer was made. Not re-entrant: `sol` must not evaluate this tree.
   */
  evaluate(query: ArrayLike<number>, sol: PointSol, flags: EvalFlags): number {
    for (let i = 0; i < this.axes.length; i++) {
      this.query[i] = query[i]!;
      this.point[i] = query[i]!;
    }
    this.sol = sol;
    this.flags = flags;
    flags.exact = true;
    flags.row = -1;
    return this.evalNode(this.root, 0, true);
  }

  /** True when the query lies inside the group's range on every axis. */
  isInsideHull(query: ArrayLike<number>): boolean {
    for (let i = 0; i < this.axes.length; i++)
      if (query[i]! < this.min[i]! || query[i]! > this.max[i]!) return false;
    return true;
  }

  private child(node: AxisNode, index: number, level: number, first: boolean): number {
    if (node.children) return this.evalNode(node.children[index]!, level + 1, first);
    if (first) this.flags.row = node.rows![index]!;
    return node.latency![index]!;
  }

  private evalNode(node: AxisNode, level: number, first: boolean): number {
    const keys = node.keys;
    const x = this.query[level]!;
    const n = keys.length;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    const axis = this.axes[level]!;
    if (lo < n && keys[lo] === x) {
      if (first) {
        this.traceKind[level] = 0;
        this.traceLo[level] = x;
      }
      return this.child(node, lo, level, first);
    }
    this.flags.exact = false;
    if (lo === 0 || lo === n) {
      const edge = lo === 0 ? 0 : n - 1;
      const e = keys[edge]!;
      const octaves = Math.abs(Math.log2(x > 0 ? x : 1) - node.logKeys[edge]!);
      if (first) {
        this.traceKind[level] = octaves > axis.maxOctaves ? 3 : 2;
        this.traceLo[level] = e;
      }
      if (octaves > axis.maxOctaves) return Number.NaN;
      this.point[level] = e;
      const v = this.child(node, edge, level, first);
      const solEdge = this.sol(this.point);
      this.point[level] = x;
      const solX = this.sol(this.point);
      const held = (v * solX) / solEdge;
      if (n < 2 || Number.isNaN(v)) return held;
      // Latency ~ overhead + SOL / utilisation: fit both from the two keys nearest the edge, so a
      // launch-bound small op does not shrink with SOL and a large one keeps its marginal rate.
      const inner = lo === 0 ? 1 : n - 2;
      this.point[level] = keys[inner]!;
      const vInner = this.child(node, inner, level, false);
      const solInner = this.sol(this.point);
      this.point[level] = x;
      const slope = (vInner - v) / (solInner - solEdge);
      if (!(slope > 0) || !Number.isFinite(slope)) return held;
      const affine = v + slope * (solX - solEdge);
      // Below the data stay between pure scaling and a constant; above it, never below pure scaling's slope.
      return lo === 0 ? Math.min(v, Math.max(held, affine)) : Math.max(affine, v);
    }
    const a = keys[lo - 1]!;
    const b = keys[lo]!;
    if (first) {
      this.traceKind[level] = 1;
      this.traceLo[level] = a;
      this.traceHi[level] = b;
    }
    this.point[level] = a;
    const va = this.child(node, lo - 1, level, first);
    const solA = axis.blend === 'util' || Number.isNaN(va) ? this.sol(this.point) : 0;
    this.point[level] = b;
    const vb = this.child(node, lo, level, false);
    const solB = axis.blend === 'util' || Number.isNaN(vb) ? this.sol(this.point) : 0;
    this.point[level] = x;
    if (Number.isNaN(va) && Number.isNaN(vb)) return Number.NaN;
    // Ragged data: one branch has no usable neighbour, so scale the other by SOL.
    if (Number.isNaN(va)) return (vb * this.sol(this.point)) / solB;
    if (Number.isNaN(vb)) return (va * this.sol(this.point)) / solA;
    switch (axis.blend) {
      case 'pchip':
        // Needs the curve's neighbouring points: at the leaf level only (else log-log below).
        if (node.latency && va > 0 && vb > 0) return pchipLogLog(node, lo, x);
        break;
      case 'linear':
        return va + ((vb - va) * (x - a)) / (b - a);
      case 'sqrt': {
        const t = (x - a) / (b - a);
        const r = Math.sqrt(va) * (1 - t) + Math.sqrt(vb) * t;
        return r * r;
      }
      case 'util': {
        const t = (Math.log2(x) - node.logKeys[lo - 1]!) / (node.logKeys[lo]! - node.logKeys[lo - 1]!);
        return this.sol(this.point) * ((va / solA) * (1 - t) + (vb / solB) * t);
      }
      default:
        break;
    }
    // log-log: geometric blend at the log-position of x.
    const t = (Math.log2(x) - node.logKeys[lo - 1]!) / (node.logKeys[lo]! - node.logKeys[lo - 1]!);
    return va ** (1 - t) * vb ** t;
  }
}
