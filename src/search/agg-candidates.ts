// Aggregated (in-flight batching) candidates: layout x context-token budget x batch ladder.
import type { AggConfig, Estimator, ServingMetrics, Workload } from '../serving/index.js';
import { feasibleBatches } from './batch-ladder.js';
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

export function evaluateAggLayout(
  estimator: Estimator,
  parallel: WorkerParallel,
  workload: Workload,
  ladder: readonly number[],
  ctxChoices: readonly number[],
  stopper?: () => (metrics: ServingMetrics) => boolean,
  /** Batches already known to fit (a second pass over the layout): skips the memory checks. */
  knownFeasible?: readonly number[],
): AggLayoutOutcome {
  let refusedByFits = 0;
  let refusedByEstimate = 0;
  let invalid = 0;
  const batches =
    knownFeasible ??
    feasibleBatches(ladder, (b) => {
      const ok = estimator.fits(parallel, b, workload, 'agg').fits;
      if (!ok) refusedByFits++;
      return ok;
    });
  const evaluations: AggEvaluation[] = [];
  for (const ctxTokens of ctxChoices) {
    const stop = stopper?.();
    for (const batchSize of batches) {
      const config: AggConfig = { mode: 'agg', parallel, batchSize, ctxTokens };
      const outcome = tryEstimate(estimator, config, workload);
      if (outcome.kind === 'ok') {
        evaluations.push({ config, metrics: outcome.metrics });
        if (stop?.(outcome.metrics)) break;
      } else if (outcome.kind === 'invalid') invalid++;
      else {
        // The estimator's fuller memory model refused it: larger batches cannot fit either.
        refusedByEstimate++;
        break;
      }
    }
  }
  return { evaluations, batches, refusedByFits, refusedByEstimate, invalid };
}
