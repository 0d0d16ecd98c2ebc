// Whole-replica accounting: a budget of N GPUs runs floor(N / gpusPerReplica) replicas; the rest idle.
import type { ServingMetrics } from '../serving/index.js';
import { gpusPerWorker } from './parallel-candidates.js';
import type { DeploymentConfig, EvaluatedPoint, Sla } from './search-types.js';
import { checkSla } from './sla-filter.js';

export interface GpuPrices {
  readonly gpuHourUsd?: number;
  readonly decodeGpuHourUsd?: number;
}

/** GPU-hour cost of one replica, or undefined without a price. */
export function replicaHourUsd(config: DeploymentConfig, prices: GpuPrices): number | undefined {
  if (prices.gpuHourUsd === undefined) return undefined;
  if (config.mode === 'agg') return gpusPerWorker(config.parallel) * prices.gpuHourUsd;
  const prefillGpus = config.prefill.workers * gpusPerWorker(config.prefill.parallel);
  const decodeGpus = config.decode.workers * gpusPerWorker(config.decode.parallel);
  return prefillGpus * prices.gpuHourUsd + decodeGpus * (prices.decodeGpuHourUsd ?? prices.gpuHourUsd);
}

/** Scale one replica's metrics to the budget; undefined when one replica does not fit in it. */
export function scaleToBudget(
  config: DeploymentConfig,
  metrics: ServingMetrics,
  totalGpus: number,
  sla: Sla,
  prices: GpuPrices = {},
): EvaluatedPoint | undefined {
  const gpusPerReplica = metrics.gpusPerReplica;
  const replicas = Math.floor(totalGpus / gpusPerReplica);
  if (replicas < 1) return undefined;
  const gpusUsed = replicas * gpusPerReplica;
  const totalTokensPerS = replicas * metrics.tokensPerS;
  const hourUsd = replicaHourUsd(config, prices);
  const costPerMTokensUsd =
    hourUsd !== undefined && metrics.tokensPerS > 0
      ? (hourUsd / (metrics.tokensPerS * 3600)) * 1e6
      : undefined;
  return {
    mode: config.mode,
    config,
    metrics,
    replicas,
    gpusPerReplica,
    gpusUsed,
    totalTokensPerS,
    tokensPerSPerGpu: totalTokensPerS / gpusUsed,
    tokensPerSPerUser: metrics.tokensPerSPerUser,
    ...(costPerMTokensUsd !== undefined ? { costPerMTokensUsd } : {}),
    ...(metrics.energyJPerToken !== undefined ? { energyJPerToken: metrics.energyJPerToken } : {}),
    sla: checkSla(metrics, sla),
  };
}
