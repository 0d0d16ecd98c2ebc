// Aggregated (in-flight batching) candidates: layout x context-token budget x batch ladder.
import type { AggConfig, Estimator, ServingMetrics, Workload } from '../serving/index.js';
import { feasibleBatches } from './batch-ladder.js';
import { tryEstimate } from './estimate-guard.js';
import type { WorkerParallel } from './search-types.js';

/** Context-token budgets per step: the whole prompt in one chunk, and common chunk sizes. */
export function defaultCtxTokensChoices(isl: number): number[] {
  const choices = new Set([2048, 4096, 8192]);
  if (isl <= 16384) choices.add(Math.max(isl, 1));
  return [...choices].sort((a, b) => a - b);
}

export interface AggEvaluation {
  readonly config: AggConfig;
  readonly metrics: ServingMetrics;
}

export interface AggLayoutOutcome {
  readonly evaluations: AggEvaluation[];
  readonly infeasible: number;
  readonly invalid: number;
}

export function evaluateAggLayout(
  estimator: Estimator,
  parallel: WorkerParallel,
  workload: Workload,
  ladder: readonly number[],
  ctxChoices: readonly number[],
): AggLayoutOutcome {
  let infeasible = 0;
  let invalid = 0;
  const batches = feasibleBatches(ladder, (b) => {
    const ok = estimator.fits(parallel, b, workload, 'agg').fits;
    if (!ok) infeasible++;
    return ok;
  });
  const evaluations: AggEvaluation[] = [];
  for (const ctxTokens of ctxChoices) {
    for (const batchSize of batches) {
      const config: AggConfig = { mode: 'agg', parallel, batchSize, ctxTokens };
      const outcome = tryEstimate(estimator, config, workload);
      if (outcome.kind === 'ok') evaluations.push({ config, metrics: outcome.metrics });
      else if (outcome.kind === 'invalid') invalid++;
      else {
        // The estimator's fuller memory model refused it: larger batches cannot fit either.
        infeasible++;
        break;
      }
    }
  }
  return { evaluations, infeasible, invalid };
}
