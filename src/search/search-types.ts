// Types of the search layer's public API: what a search is asked and what it answers.
import type {
  AggConfig,
  DisaggConfig,
  Estimator,
  ServingMetrics,
  WorkerParallel,
  Workload,
} from '../serving/index.js';

export const SEARCH_MODES = ['agg', 'disagg'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export const OBJECTIVES = ['tokens-per-gpu', 'total-throughput', 'cost', 'energy'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** Latency targets. Absent targets are not checked. See docs/search.md "SLA semantics". */
export interface Sla {
  readonly ttftMs?: number;
  /** Time per output token after the first. */
  readonly tpotMs?: number;
  /** TTFT + TPOT * (osl - 1); advisory unless `strict`. */
  readonly requestLatencyMs?: number;
  /** When true every given target must be met; otherwise only TTFT and TPOT. */
  readonly strict?: boolean;
}

export const SLA_CONSTRAINTS = ['ttft', 'tpot', 'requestLatency'] as const;
export type SlaConstraint = (typeof SLA_CONSTRAINTS)[number];

/** How one point stands against the SLA. */
export interface SlaVerdict {
  /** Meets every constraint that is enforced in this mode. */
  readonly meets: boolean;
  /** Enforced constraints the point misses. */
  readonly failed: readonly SlaConstraint[];
  /** Given but advisory constraints the point misses (request latency outside strict mode). */
  readonly advisoryFailed: readonly SlaConstraint[];
  /** Sum over enforced constraints of max(0, value / target - 1): 0 when met. */
  readonly violation: number;
}

/** What the search needs to know of the model that the Estimator contract does not say. */
export interface ParallelSpaceOptions {
  /** MoE models add attention DP and MoE TP x EP layouts. Default false. */
  readonly isMoe?: boolean;
  /** GPUs in one node (NVLink domain): tp above it only when allowed. Default 8. */
  readonly gpusPerNode?: number;
  /**
   * Tensor parallel across nodes (16/32/64). Default 'auto': only when no layout within a node
   * fits batch 1 in memory (a huge model).
   */
  readonly crossNodeTp?: boolean | 'auto';
  /** Override the tp / pp / attention-dp values tried. */
  readonly tpValues?: readonly number[];
  readonly ppValues?: readonly number[];
  readonly attentionDpValues?: readonly number[];
}

export interface SearchOptions {
  readonly estimator: Estimator;
  /** Estimator for decode workers of disaggregated replicas (heterogeneous systems); default `estimator`. */
  readonly decodeEstimator?: Estimator;
  readonly totalGpus: number;
  readonly workload: Workload;
  readonly sla: Sla;
  readonly modes?: readonly SearchMode[];
  /** Rows per mode in `topByMode`. Default 5. */
  readonly topN?: number;
  readonly objective?: Objective;
  /** USD per GPU-hour (for the cost objective and cost columns). */
  readonly gpuHourUsd?: number;
  /** USD per GPU-hour of the decode system when it differs. Default `gpuHourUsd`. */
  readonly decodeGpuHourUsd?: number;
  readonly parallelSpace?: ParallelSpaceOptions;
  /** Decode-worker parallel space when the decode system differs (e.g. other gpusPerNode). */
  readonly decodeParallelSpace?: ParallelSpaceOptions;
  /** Batch ladder override (ascending). */
  readonly batchLadder?: readonly number[];
  /** Prefill-worker batch ladder override. */
  readonly prefillBatchLadder?: readonly number[];
  /** Agg context-token budgets override. */
  readonly ctxTokensChoices?: readonly number[];
  /**
   * Agg: walk every batch-ladder rung that fits (instead of stopping once TTFT misses, TPOT passes
   * twice its target or tokens/s/gpu plateaus) and try every context budget on every layout
   * (instead of only on layouts that reach the front or the top N). Default false.
   */
  readonly exhaustive?: boolean;
  /** Largest prefill / decode worker count in one disagg replica. Default 32 each. */
  readonly maxWorkersPerRole?: number;
  /** Called as candidates are evaluated (for a progress bar). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Injectable clock (ms) so elapsed time is testable. Default performance.now. */
  readonly nowMs?: () => number;
}

export type DeploymentConfig = AggConfig | DisaggConfig;

/** One evaluated configuration, scaled to the GPU budget with whole replicas. */
export interface EvaluatedPoint {
  readonly mode: SearchMode;
  readonly config: DeploymentConfig;
  /** Metrics of one replica, from the estimator. */
  readonly metrics: ServingMetrics;
  readonly replicas: number;
  readonly gpusPerReplica: number;
  /** GPUs whole replicas use (<= the budget). */
  readonly gpusUsed: number;
  /** Output tokens/s of all replicas. */
  readonly totalTokensPerS: number;
  /** totalTokensPerS / gpusUsed. */
  readonly tokensPerSPerGpu: number;
  readonly tokensPerSPerUser: number;
  /** Present when a GPU-hour price is known. */
  readonly costPerMTokensUsd?: number;
  readonly energyJPerToken?: number;
  readonly sla: SlaVerdict;
}

export interface FailureSummary {
  /** Points (memory-feasible, estimated) that miss each enforced constraint. */
  readonly failedByConstraint: Readonly<Record<SlaConstraint, number>>;
  /** Points that miss an advisory constraint (request latency outside strict mode). */
  readonly advisoryFailedByConstraint: Readonly<Record<SlaConstraint, number>>;
  /** Smallest normalised SLA violation first; empty when something meets the SLA. */
  readonly closest: readonly EvaluatedPoint[];
}

export interface SearchCounts {
  readonly parallelLayouts: number;
  readonly rejectedLayouts: number;
  /** Estimator calls that produced metrics. */
  readonly evaluated: number;
  /** Points rejected as not fitting in memory (ladder stops + estimator InfeasibleError). */
  readonly infeasible: number;
  readonly meetingSla: number;
}

export interface ModeComparison {
  readonly bestMode: SearchMode;
  readonly otherMode: SearchMode;
  /** How many times better the best mode is on the objective (>= 1). */
  readonly ratio: number;
}

export interface SearchResult {
  readonly totalGpus: number;
  readonly workload: Workload;
  readonly sla: Sla;
  readonly objective: Objective;
  readonly modes: readonly SearchMode[];
  /** Every evaluated (memory-feasible) point, for charts and diagnostics. */
  readonly points: readonly EvaluatedPoint[];
  /**
   * Pareto front of (tokens/s/user, tokens/s/gpu) per mode, over points that meet every enforced
   * constraint except TPOT (the TPOT target is a vertical line on that chart), sorted by tokens/s/user.
   */
  readonly paretoByMode: Readonly<Partial<Record<SearchMode, readonly EvaluatedPoint[]>>>;
  /** Best-first points meeting the SLA, per mode. */
  readonly topByMode: Readonly<Partial<Record<SearchMode, readonly EvaluatedPoint[]>>>;
  readonly best?: EvaluatedPoint;
  readonly comparison?: ModeComparison;
  readonly failures: FailureSummary;
  readonly counts: SearchCounts;
  readonly elapsedMs: number;
}

export type { WorkerParallel };
