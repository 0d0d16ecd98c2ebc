// Calls the estimator, turning "does not fit" and "breaks a rule" into skips the search counts.
import { InfeasibleError, InvalidConfigError } from '../common/index.js';
import type { Estimator, ServingConfig, ServingMetrics, Workload } from '../serving/index.js';

export type GuardedEstimate =
  | { readonly kind: 'ok'; readonly metrics: ServingMetrics }
  | { readonly kind: 'infeasible' }
  | { readonly kind: 'invalid' };

export function tryEstimate(
  estimator: Estimator,
  config: ServingConfig,
  workload: Workload,
): GuardedEstimate {
  try {
    return { kind: 'ok', metrics: estimator.estimate(config, workload) };
  } catch (error) {
    if (error instanceof InfeasibleError) return { kind: 'infeasible' };
    if (error instanceof InvalidConfigError) return { kind: 'invalid' };
    // Missing perf data and bugs are not the search's to hide.
    throw error;
  }
}
