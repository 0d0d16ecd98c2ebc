// Runs parsed experiments: one search each, estimators built by a caller-supplied factory.
import { InferplanError } from '../common/index.js';
import type { Estimator, Workload } from '../serving/index.js';
import type { ExperimentSpec } from './experiment-schema.js';
import { searchDeployments } from './search-deployments.js';
import type { ParallelSpaceOptions, SearchOptions, SearchResult, Sla } from './search-types.js';

/** What the factory may return beyond a bare Estimator (the CLI knows the model and system). */
export interface ExperimentEstimators {
  readonly estimator: Estimator;
  /** For decode-role candidates on `decode_system` (heterogeneous disagg). */
  readonly decodeEstimator?: Estimator;
  readonly parallelSpace?: ParallelSpaceOptions;
  readonly decodeParallelSpace?: ParallelSpaceOptions;
  /** From the system YAML's price.gpu_hour_usd; the experiment's own gpu_hour_usd wins. */
  readonly gpuHourUsd?: number;
  readonly decodeGpuHourUsd?: number;
}

/** Builds the estimators of one experiment; may be async (opening perf data is). */
export type EstimatorFactory = (
  spec: ExperimentSpec,
) => Estimator | ExperimentEstimators | Promise<Estimator | ExperimentEstimators>;

export interface ExperimentOutcome {
  readonly spec: ExperimentSpec;
  readonly result?: SearchResult;
  /** One-line reason when the experiment could not run (unknown data, bad config). */
  readonly error?: string;
}

function isEstimator(value: Estimator | ExperimentEstimators): value is Estimator {
  return typeof (value as Estimator).estimate === 'function';
}

export function workloadOf(spec: ExperimentSpec): Workload {
  const w = spec.workload;
  return { isl: w.isl, osl: w.osl, prefix: w.prefix, nextn: w.nextn, nextnAccept: w.nextn_accept };
}

export function slaOf(spec: ExperimentSpec): Sla {
  const s = spec.sla;
  return {
    ...(s.ttft_ms !== undefined ? { ttftMs: s.ttft_ms } : {}),
    ...(s.tpot_ms !== undefined ? { tpotMs: s.tpot_ms } : {}),
    ...(s.request_latency_ms !== undefined ? { requestLatencyMs: s.request_latency_ms } : {}),
    strict: s.strict,
  };
}

/** The search options an experiment stands for, given its estimators. */
export function searchOptionsFor(
  spec: ExperimentSpec,
  built: Estimator | ExperimentEstimators,
): SearchOptions {
  const e: ExperimentEstimators = isEstimator(built) ? { estimator: built } : built;
  const gpuHourUsd = spec.gpu_hour_usd ?? e.gpuHourUsd;
  const decodeGpuHourUsd = spec.decode_gpu_hour_usd ?? e.decodeGpuHourUsd;
  return {
    estimator: e.estimator,
    ...(e.decodeEstimator ? { decodeEstimator: e.decodeEstimator } : {}),
    ...(e.parallelSpace ? { parallelSpace: e.parallelSpace } : {}),
    ...(e.decodeParallelSpace ? { decodeParallelSpace: e.decodeParallelSpace } : {}),
    ...(gpuHourUsd !== undefined ? { gpuHourUsd } : {}),
    ...(decodeGpuHourUsd !== undefined ? { decodeGpuHourUsd } : {}),
    totalGpus: spec.total_gpus,
    workload: workloadOf(spec),
    sla: slaOf(spec),
    modes: spec.modes,
    topN: spec.top_n,
    objective: spec.objective,
    exhaustive: spec.exhaustive,
  };
}

/**
 * Run every experiment in order. A user-facing failure of one experiment (missing perf data, an
 * unknown model) is recorded on its outcome and the others still run; bugs propagate.
 */
export async function runExperiments(
  specs: readonly ExperimentSpec[],
  factory: EstimatorFactory,
  onExperiment?: (index: number, total: number, spec: ExperimentSpec) => void,
): Promise<ExperimentOutcome[]> {
  const outcomes: ExperimentOutcome[] = [];
  for (const [index, spec] of specs.entries()) {
    onExperiment?.(index, specs.length, spec);
    try {
      outcomes.push({ spec, result: searchDeployments(searchOptionsFor(spec, await factory(spec))) });
    } catch (error) {
      if (!(error instanceof InferplanError)) throw error;
      outcomes.push({ spec, error: error.message });
    }
  }
  return outcomes;
}
