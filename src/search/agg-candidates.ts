// Aggregated (in-flight batching) candidates: layout x context-token budget x batch ladder.
import type { AggConfig, Estimator, ServingMetrics, Workload } from '../serving/index.js';
import { feasibleBatches, ladderForWorker } from './batch-ladder.js';
import { tryEstimate } from './estimate-guard.js';
import type { WorkerParallel } from './search-types.js';

/** Context-token budgets per step: the whole prompt in one chunk, and common chunk sizes. */
export function defaultCtxTokensChoices(isl: number): number[] {
  const choices = [2048, 4096, 8192];
  // A prompt-sized budget only when it differs from the standard sizes (4000 vs 4096 buys nothing).
  if (isl <= 16384 && choices.every((c) => Math.abs(c - isl) > 0.1 * c)) choices.push(Math.max(isl, 1));
  return choices.sort((a, b) => a - b);
}

/**
 * When to stop climbing a batch ladder early (larger batches only queue more prompts and lengthen
 * steps): once TTFT misses its target, once TPOT is past twice its target, or once tokens/s/gpu has
 * not improved for two rungs (a plateau: what follows is dominated on the Pareto chart).
 */
export function ladderStopper(
  ttftTargetMs: number | undefined,
  tpotTargetMs: number | undefined,
): () => (metrics: ServingMetrics) => boolean {
  return () => {
    let bestPerGpu = Number.NEGATIVE_INFINITY;
    let flatRungs = 0;
    return (m) => {
      if (ttftTargetMs !== undefined && m.ttftMs > ttftTargetMs) return true;
      if (tpotTargetMs !== undefined && m.tpotMs > 2 * tpotTargetMs) return true;
      if (m.tokensPerSPerGpu > bestPerGpu * 1.001) {
        bestPerGpu = m.tokensPerSPerGpu;
        flatRungs = 0;
      } else flatRungs++;
      return flatRungs >= 2;
    };
  };
}

export interface AggEvaluation {
  readonly config: AggConfig;
  readonly metrics: ServingMetrics;
}

export interface AggLayoutOutcome {
  readonly evaluations: AggEvaluation[];
  /** Ladder rungs that fit in memory. */
  readonly batches: readonly number[];
  /** Ladder rungs `fits` refused (at most one per layout: the ladder stops there). */
  readonly refusedByFits: number;
  /** Estimates that threw InfeasibleError. */
  readonly refusedByEstimate: number;
  readonly invalid: number;
}

/** The budget tried on every layout first: 4096 when offered (a common engine default), else the middle. */
export function primaryCtxTokens(choices: readonly number[]): number {
  return choices.includes(4096) ? 4096 : choices[Math.floor(choices.length / 2)]!;
}

export interface AggLayoutPlan {
  readonly ladder: readonly number[];
  readonly ctxChoices: readonly number[];
  /** Fresh early-stop rule per climb (see ladderStopper); none = climb every rung that fits. */
  readonly stopper?: () => (metrics: ServingMetrics) => boolean;
  /**
   * Climb only the power-of-two rungs first, then fill in the rungs between the last one that meets
   * the SLA and the next one (where the best under the SLA lives). Needs `meets`.
   */
  readonly meets?: (metrics: ServingMetrics) => boolean;
  /** Batches already known to fit (a second pass over the layout): skips the memory checks. */
  readonly knownFeasible?: readonly number[];
}

const isPowerOfTwo = (n: number) => Number.isInteger(Math.log2(n));

export function evaluateAggLayout(
  estimator: Estimator,
  parallel: WorkerParallel,
  workload: Workload,
  plan: AggLayoutPlan,
): AggLayoutOutcome {
  let refusedByFits = 0;
  let refusedByEstimate = 0;
  let invalid = 0;
  const batches =
    plan.knownFeasible ??
    feasibleBatches(ladderForWorker(plan.ladder, parallel.attentionDp), (b) => {
      const ok = estimator.fits(parallel, b, workload, 'agg').fits;
      if (!ok) refusedByFits++;
      return ok;
    });
  const evaluations: AggEvaluation[] = [];
  /** Estimate rungs in order, stopping where the plan's stopper says; returns the metrics by batch. */
  const climb = (ctxTokens: number, rungs: readonly number[]): Map<number, ServingMetrics> => {
    const stop = plan.stopper?.();
    const seen = new Map<number, ServingMetrics>();
    for (const batchSize of rungs) {
      const config: AggConfig = { mode: 'agg', parallel, batchSize, ctxTokens };
      const outcome = tryEstimate(estimator, config, workload);
      if (outcome.kind === 'ok') {
        evaluations.push({ config, metrics: outcome.metrics });
        seen.set(batchSize, outcome.metrics);
        if (stop?.(outcome.metrics)) break;
      } else if (outcome.kind === 'invalid') invalid++;
      else {
        // The estimator's fuller memory model refused it: larger batches cannot fit either.
        refusedByEstimate++;
        break;
      }
    }
    return seen;
  };
  for (const ctxTokens of plan.ctxChoices) {
    const meets = plan.meets;
    if (!meets) {
      climb(ctxTokens, batches);
      continue;
    }
    const coarse = batches.filter(isPowerOfTwo);
    const seen = climb(ctxTokens, coarse);
    // The last coarse rung meeting the SLA and the next rung that was tried (or the ladder's end).
    const tried = [...seen.keys()];
    const lastMeeting = tried.filter((b) => meets(seen.get(b)!)).at(-1);
    if (lastMeeting === undefined) continue;
    const next = tried.find((b) => b > lastMeeting);
    const upper = next ?? batches.at(-1)!;
    const fill = batches.filter((b) => b > lastMeeting && b < upper && !seen.has(b));
    if (next === undefined && upper > lastMeeting && !seen.has(upper)) fill.push(upper);
    // Fill rungs without the early stop: each one is between two points already evaluated.
    for (const batchSize of fill) {
      const config: AggConfig = { mode: 'agg', parallel, batchSize, ctxTokens };
      const outcome = tryEstimate(estimator, config, workload);
      if (outcome.kind === 'ok') evaluations.push({ config, metrics: outcome.metrics });
      else if (outcome.kind === 'invalid') invalid++;
      else {
        refusedByEstimate++;
        break;
      }
    }
  }
  return { evaluations, batches, refusedByFits, refusedByEstimate, invalid };
}
