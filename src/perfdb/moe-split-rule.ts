// How to carry an MoE kernel's utilisation to an expert layout its table lacks (e.g. moe_tp 8 when
// only moe_tp 1 was collected). Two candidates: hold the utilisation of the nearest collected
// value along that axis (the axis tree's default: the unsplit kernel, doing n times the work per
// GPU, lends its efficiency), or take it from the same split of the other kind (moe_ep n for
// moe_tp n: the same share of the expert weights per GPU). Which one carries better differs by
// engine (TensorRT-LLM's kernels lose efficiency with the work share alike under either split;
// vLLM's expert-parallel path is slower than its tensor-parallel one), so each table decides from
// its own shapes collected under all three layouts. No serving measurement is involved.
import { median } from '../common/index.js';
import type { PointSol } from './axis-tree.js';

export type SplitAxis = 'tp' | 'ep';

/** A group's rows as the axis tree holds them: points [E, topk, hidden, inter, tp, ep, tokens]. */
export interface MoeGroupRows {
  forEachLeaf(visit: (point: Float64Array, latencyMs: number) => void): void;
  readonly sol: PointSol;
}

export interface SplitEvidence {
  readonly axis: SplitAxis;
  /** GPUs sharing the experts (moe_tp x moe_ep). */
  readonly gpus: number;
  /** Collected points predicted both ways. */
  readonly comparisons: number;
  /** Median absolute % error of each candidate against the collected latency. */
  readonly holdErrorPct: number;
  readonly sameSplitErrorPct: number;
}

/** Fewest comparisons on which a table's evidence is taken. */
const MIN_COMPARISONS = 30;

/** Positions of moe_tp_size and moe_ep_size among the MoE index axes (table-index.ts). */
export const MOE_TP_AXIS = 4;
export const MOE_EP_AXIS = 5;

/**
 * For every split n collected as (n, 1) and (1, n) beside (1, 1) of the same shape and token count:
 * predict (n, 1) from (1, 1) held and from (1, n), and (1, n) likewise, and score both.
 */
export function assessMoeSplits(groups: Iterable<MoeGroupRows>): SplitEvidence[] {
  const errors = new Map<string, { axis: SplitAxis; gpus: number; hold: number[]; same: number[] }>();
  for (const group of groups) {
    // Latency and SOL of every point, keyed by shape + layout + token count.
    const byPoint = new Map<string, { point: Float64Array; latencyMs: number; solMs: number }>();
    group.forEachLeaf((leaf, latencyMs) => {
      const point = Float64Array.from(leaf);
      byPoint.set(point.join('|'), { point, latencyMs, solMs: group.sol(point) });
    });
    const at = (point: Float64Array, tp: number, ep: number) => {
      const p = Float64Array.from(point);
      p[MOE_TP_AXIS] = tp;
      p[MOE_EP_AXIS] = ep;
      return byPoint.get(p.join('|'));
    };
    for (const here of byPoint.values()) {
      const { point } = here;
      const tp = point[MOE_TP_AXIS]!;
      const ep = point[MOE_EP_AXIS]!;
      if (tp > 1 === ep > 1) continue;
      const axis: SplitAxis = tp > 1 ? 'tp' : 'ep';
      const gpus = tp * ep;
      const unsplit = at(point, 1, 1);
      const other = axis === 'tp' ? at(point, 1, gpus) : at(point, gpus, 1);
      if (!unsplit || !other || !(here.solMs > 0)) continue;
      const hold = (here.solMs * unsplit.latencyMs) / unsplit.solMs;
      const same = (here.solMs * other.latencyMs) / other.solMs;
      const key = `${axis}|${gpus}`;
      let entry = errors.get(key);
      if (!entry) {
        entry = { axis, gpus, hold: [], same: [] };
        errors.set(key, entry);
      }
      entry.hold.push(Math.abs(hold / here.latencyMs - 1) * 100);
      entry.same.push(Math.abs(same / here.latencyMs - 1) * 100);
    }
  }
  return [...errors.values()]
    .map((e) => ({
      axis: e.axis,
      gpus: e.gpus,
      comparisons: e.hold.length,
      holdErrorPct: median(e.hold),
      sameSplitErrorPct: median(e.same),
    }))
    .sort((a, b) => (a.axis === b.axis ? a.gpus - b.gpus : a.axis < b.axis ? -1 : 1));
}

/**
 * Whether a layout missing along `axis` with `gpus` GPUs sharing the experts should take the
 * utilisation of the same split of the other kind: the table's evidence at that split, else at
 * the nearest split of the same axis with enough evidence; without any, hold (the tree's default).
 */
export function prefersSameSplit(evidence: readonly SplitEvidence[], axis: SplitAxis, gpus: number): boolean {
  let best: SplitEvidence | undefined;
  for (const e of evidence) {
    if (e.axis !== axis || e.comparisons < MIN_COMPARISONS) continue;
    const distance = Math.abs(Math.log2(e.gpus / gpus));
    if (!best || distance < Math.abs(Math.log2(best.gpus / gpus))) best = e;
  }
  return best !== undefined && best.sameSplitErrorPct < best.holdErrorPct;
}
