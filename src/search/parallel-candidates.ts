// Enumerates worker parallel layouts (tp, pp, attention dp, moe tp x ep) within a GPU budget.
import type { Estimator, WorkerParallel, Workload } from '../serving/index.js';
import type { ParallelSpaceOptions } from './search-types.js';

const IN_NODE_TP = [1, 2, 4, 8, 16] as const;
const CROSS_NODE_TP = [16, 32, 64] as const;
const PP_VALUES = [1, 2, 4, 8] as const;
const DP_VALUES = [1, 2, 4, 8, 16, 32, 64] as const;

/** Re-exported for the search layer's callers; defined with the layout rules in models. */
export { gpusPerWorker } from '../models/index.js';

export function describeParallel(p: WorkerParallel): string {
  let text = `tp${p.tp}`;
  if (p.pp > 1) text += ` pp${p.pp}`;
  if (p.attentionDp > 1) text += ` dp${p.attentionDp}`;
  if (p.moeEp > 1 || p.moeTp !== p.tp * p.attentionDp) text += ` moe tp${p.moeTp} ep${p.moeEp}`;
  return text;
}

function powersOfTwoUpTo(limit: number): number[] {
  const out: number[] = [];
  for (let v = 1; v <= limit; v *= 2) out.push(v);
  return out;
}

export interface ParallelEnumeration {
  readonly layouts: readonly WorkerParallel[];
  /** Layouts the estimator's checkParallel refused. */
  readonly rejected: number;
}

/**
 * Layouts with at most `maxGpus` GPUs per worker (and, when `divides` is set, a GPU count dividing
 * it). Dense models: attention dp 1 and moe tp = tp, moe ep 1 (the MoE fields mirror tp so the
 * tp * dp = moe_tp * moe_ep rule holds). MoE models: every moe tp x ep split of tp * dp.
 */
export function enumerateParallel(
  estimator: Estimator,
  maxGpus: number,
  workload: Workload,
  space: ParallelSpaceOptions = {},
  divides = false,
): ParallelEnumeration {
  const gpusPerNode = space.gpusPerNode ?? 8;
  const inNode = space.tpValues ?? IN_NODE_TP.filter((t) => t <= gpusPerNode);
  const build = (tpValues: readonly number[]): ParallelEnumeration => {
    const layouts: WorkerParallel[] = [];
    let rejected = 0;
    const dpValues = space.isMoe ? (space.attentionDpValues ?? DP_VALUES) : [1];
    for (const tp of tpValues) {
      for (const pp of space.ppValues ?? PP_VALUES) {
        for (const attentionDp of dpValues) {
          const gpus = tp * pp * attentionDp;
          if (gpus > maxGpus || (divides && maxGpus % gpus !== 0)) continue;
          // Pipeline stages and attention DP ranks are alternatives worth mixing only sparingly:
          // serving stacks run attention DP without pipeline parallelism.
          if (attentionDp > 1 && pp > 1) continue;
          const width = tp * attentionDp;
          const splits: [number, number][] = space.isMoe
            ? powersOfTwoUpTo(width).map((ep) => [width / ep, ep])
            : [[tp, 1]];
          for (const [moeTp, moeEp] of splits) {
            const layout: WorkerParallel = { tp, pp, attentionDp, moeTp, moeEp };
            if (estimator.checkParallel(layout) === undefined) layouts.push(layout);
            else rejected++;
          }
        }
      }
    }
    return { layouts, rejected };
  };
  const base = build(inNode);
  const crossNode = space.crossNodeTp ?? 'auto';
  if (crossNode === false || space.tpValues) return base;
  const fitsSomewhere = base.layouts.some((p) => estimator.fits(p, 1, workload, 'agg').fits);
  if (crossNode === 'auto' && fitsSomewhere) return base;
  const wide = build(CROSS_NODE_TP.filter((t) => t > gpusPerNode));
  return { layouts: [...base.layouts, ...wide.layouts], rejected: base.rejected + wide.rejected };
}
