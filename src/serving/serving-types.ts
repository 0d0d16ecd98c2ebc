// Types of the serving layer's public API: what a deployment is and what it delivers.
// The search layer enumerates these configs and ranks these metrics.

import type { ParallelConfig } from '../models/index.js';
import type { Provenance } from '../perfdb/index.js';

/** Parallel layout of one worker (an engine instance spanning tp * pp * attentionDp GPUs). */
export type WorkerParallel = ParallelConfig;

export interface Workload {
  /** Input tokens per request (including the cached prefix). */
  readonly isl: number;
  readonly osl: number;
  /** Tokens of the input served from the prefix cache. */
  readonly prefix: number;
  /** Speculative (MTP) tokens per step; 0 = off. */
  readonly nextn: number;
  /** Mean accepted draft tokens per step when nextn > 0. */
  readonly nextnAccept: number;
}

/** Aggregated serving: every worker does prefill and decode with in-flight batching. */
export interface AggConfig {
  readonly mode: 'agg';
  readonly parallel: WorkerParallel;
  /** Concurrent requests per worker (max batch). */
  readonly batchSize: number;
  /** Context-token budget per step (chunked prefill). */
  readonly ctxTokens: number;
  /** Clients driving the worker (closed loop); defaults to batchSize. */
  readonly clients?: number;
}

export interface DisaggRole {
  readonly parallel: WorkerParallel;
  readonly batchSize: number;
  readonly workers: number;
}

/** Disaggregated serving: x prefill workers feed y decode workers (one replica). */
export interface DisaggConfig {
  readonly mode: 'disagg';
  readonly prefill: DisaggRole;
  readonly decode: DisaggRole;
  /** Clients driving the replica (closed loop); default: the rate-matched steady state. */
  readonly clients?: number;
}

/** Static batching: one batch runs prefill then decodes to the end (no in-flight batching). */
export interface StaticConfig {
  readonly mode: 'static';
  readonly parallel: WorkerParallel;
  readonly batchSize: number;
}

export type ServingConfig = AggConfig | DisaggConfig | StaticConfig;

/** Share of predicted time by provenance (sums to 1). */
export type ProvenanceShares = Readonly<Record<Provenance, number>>;

/** Where a request's time to first token goes; the parts sum to ttftMs. */
export interface TtftParts {
  /** The serving stack outside the GPU steps (HTTP, tokenisation, routing): the backend's request overhead. */
  readonly overheadMs: number;
  /**
   * Waiting before the first step that carries the prompt: behind the running step, the steps
   * already planned and other requests' prefills (aggregated); the prefill queue (disaggregated).
   */
  readonly queueMs: number;
  /** From the first step carrying the prompt to the end of the step that finishes it. */
  readonly prefillMs: number;
  /**
   * After the prefill: an overlap scheduler's one-step-late hand-out of the first token; with
   * disaggregation the KV transfer and the decode worker taking the request up.
   */
  readonly handOffMs: number;
}

/** Where the time between output tokens goes; the parts sum to tpotMs. */
export interface TpotParts {
  /** Decode work: decode-only steps at the running batch, per output token. */
  readonly decodeMs: number;
  /** What steps carrying other requests' prefill add on top (their prefill work, prefill-only steps). */
  readonly prefillInterferenceMs: number;
}

export interface ServingMetrics {
  readonly ttftMs: number;
  /** Time per output token after the first. */
  readonly tpotMs: number;
  readonly ttftParts: TtftParts;
  readonly tpotParts: TpotParts;
  /** ttft + tpot * (osl - 1). */
  readonly requestLatencyMs: number;
  readonly tokensPerSPerUser: number;
  /** Output tokens per second over all GPUs of the replica. */
  readonly tokensPerSPerGpu: number;
  /** Output tokens per second of one replica. */
  readonly tokensPerS: number;
  readonly requestsPerS: number;
  /** Requests in flight in one replica. */
  readonly concurrency: number;
  /** GPUs one replica uses. */
  readonly gpusPerReplica: number;
  readonly memBytesPerGpu: number;
  readonly provenance: ProvenanceShares;
  /** Mean power per GPU and energy per output token, when the tables carry power. */
  readonly powerWPerGpu?: number;
  readonly energyJPerToken?: number;
}

/** Memory verdict for one worker layout at a batch size. */
export interface MemoryFit {
  readonly fits: boolean;
  readonly memBytesPerGpu: number;
  readonly capacityBytesPerGpu: number;
}

/**
 * Predicts serving metrics for one model on one system (+ database). Built once per search
 * (`createEstimator` in this layer) and called many times: step latencies are cached inside.
 */
export interface Estimator {
  /** Throws InfeasibleError when the configuration does not fit in memory, InvalidConfigError when it breaks a rule. */
  estimate(config: ServingConfig, workload: Workload): ServingMetrics;
  /** Cheap memory check (no latency work) used to stop batch ladders at the first infeasible point. */
  fits(
    parallel: WorkerParallel,
    batchSize: number,
    workload: Workload,
    role?: 'agg' | 'prefill' | 'decode',
  ): MemoryFit;
  /** Whether a layout is legal for the model (heads, experts, dp rules); returns the reason when not. */
  checkParallel(parallel: WorkerParallel): string | undefined;
}
