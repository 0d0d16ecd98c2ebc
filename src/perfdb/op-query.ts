// The contract between the perf database and everything above it: an op is data
// (kind + shape + dtypes) and the database answers with a latency and its provenance.
import type { Dtype } from '../common/index.js';

export const COMM_OPS = ['all_reduce', 'all_gather', 'reduce_scatter', 'alltoall', 'p2p'] as const;
export type CommOp = (typeof COMM_OPS)[number];

/**
 * How a MoE op's tokens are routed, and the routings MoE tables are collected under (a column of
 * the table): round-robin 'balanced' (every expert gets T k / E picks), the skewed power laws, and
 * 'random' (each token picks its top-k experts independently and uniformly: balanced on average,
 * as a load-balanced router is, but a small batch touches fewer distinct experts and a large one
 * loads them unevenly). Tables without 'random' rows (aiconfigurator's) price it from their
 * balanced rows.
 */
export const MOE_DISTRIBUTIONS = ['balanced', 'power_law_1.01', 'power_law_1.2', 'random'] as const;
export type MoeDistribution = (typeof MOE_DISTRIBUTIONS)[number];
/** Every routing an estimate may assume (all of them can also be collected). */
export const MOE_ROUTINGS = ['random', 'balanced', 'power_law_1.01', 'power_law_1.2'] as const;
export type MoeRouting = (typeof MOE_ROUTINGS)[number];

/**
 * Whether rows measured under 'random' routing stand for its expected cost: each expert expects
 * at least 3 picks (T k >= 3 E), so a given expert goes unpicked in ~5% of draws ((1 - k/E)^T).
 * With fewer, one measured draw is one sample of a cost that varies a lot between draws (under
 * EP a rank's few experts may all go unpicked), and the balanced rows price the expectation.
 */
export function randomRoutingRowsApply(numTokens: number, topk: number, numExperts: number): boolean {
  return numTokens * topk >= 3 * numExperts;
}

export const ELEMENTWISE_OPS = ['rms_norm', 'silu_mul', 'add', 'rope', 'embedding', 'kv_write'] as const;
export type ElementwiseOp = (typeof ELEMENTWISE_OPS)[number];

/** y[m, n] = x[m, k] W[n, k]^T */
export interface GemmQuery {
  readonly kind: 'gemm';
  readonly dtype: Dtype;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /**
   * The activation arrives already in the GEMM's format: the engine quantises it inside the
   * preceding norm, so the standalone activation quantisation a table times with each
   * quantised GEMM does not apply.
   */
  readonly inputQuantized?: boolean;
}

/** Causal prefill attention of `batchSize` requests of `isl` new tokens after `prefix` cached ones. */
export interface ContextAttentionQuery {
  readonly kind: 'context_attention';
  readonly batchSize: number;
  readonly isl: number;
  readonly prefix: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** 0 = full attention. */
  readonly windowSize: number;
  readonly attnDtype: Dtype;
  readonly kvCacheDtype: Dtype;
}

/** One decode query per request against `kvLen` cached tokens. */
export interface GenerationAttentionQuery {
  readonly kind: 'generation_attention';
  readonly batchSize: number;
  readonly kvLen: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly windowSize: number;
  readonly kvCacheDtype: Dtype;
}

/** DeepSeek multi-head latent attention, prefill; numHeads is per GPU. */
export interface ContextMlaQuery {
  readonly kind: 'context_mla';
  readonly batchSize: number;
  readonly isl: number;
  readonly prefix: number;
  readonly numHeads: number;
  readonly mlaDtype: Dtype;
  readonly kvCacheDtype: Dtype;
}

export interface GenerationMlaQuery {
  readonly kind: 'generation_mla';
  readonly batchSize: number;
  readonly kvLen: number;
  readonly numHeads: number;
  readonly kvCacheDtype: Dtype;
}

/** The absorbed-weight batched matmuls around generation MLA. */
export interface MlaBmmQuery {
  readonly kind: 'mla_bmm';
  readonly phase: 'pre' | 'post';
  readonly dtype: Dtype;
  readonly numTokens: number;
  readonly numHeads: number;
}

/** Routed experts of one MoE layer for `numTokens` tokens (before top-k expansion). */
export interface MoeQuery {
  readonly kind: 'moe';
  readonly dtype: Dtype;
  readonly numTokens: number;
  readonly hiddenSize: number;
  readonly interSize: number;
  readonly topk: number;
  readonly numExperts: number;
  readonly moeTp: number;
  readonly moeEp: number;
  readonly distribution: MoeRouting;
}

/** A collective over `numGpus` ranks of `messageElements` elements of `dtype`. */
export interface CommQuery {
  readonly kind: 'comm';
  readonly op: CommOp;
  readonly dtype: Dtype;
  readonly numGpus: number;
  readonly messageElements: number;
}

/** Memory-bound per-token ops (norms, activations, rope, embedding, kv-cache writes). */
export interface ElementwiseQuery {
  readonly kind: 'elementwise';
  readonly op: ElementwiseOp;
  readonly dtype: Dtype;
  readonly numTokens: number;
  /** Elements touched per token (hidden size, or 2 * kv heads * head dim for kv_write, ...). */
  readonly width: number;
}

export type OpQuery =
  | GemmQuery
  | ContextAttentionQuery
  | GenerationAttentionQuery
  | ContextMlaQuery
  | GenerationMlaQuery
  | MlaBmmQuery
  | MoeQuery
  | CommQuery
  | ElementwiseQuery;

export type OpKind = OpQuery['kind'];

/** Every op kind, in the order tables are listed. */
export const OP_KINDS = [
  'gemm',
  'context_attention',
  'generation_attention',
  'context_mla',
  'generation_mla',
  'mla_bmm',
  'moe',
  'comm',
  'elementwise',
] as const satisfies readonly OpKind[];
// Compile-time check that the list names every kind of OpQuery.
const _everyKindListed: Exclude<OpKind, (typeof OP_KINDS)[number]> extends never ? true : never = true;
void _everyKindListed;

/** How much to trust a number, best first. */
export const PROVENANCES = ['measured', 'interpolated', 'extrapolated', 'empirical', 'sol'] as const;
export type Provenance = (typeof PROVENANCES)[number];

export const DATABASE_MODES = ['silicon', 'hybrid', 'empirical', 'sol'] as const;
export type DatabaseMode = (typeof DATABASE_MODES)[number];

export interface OpLatency {
  readonly latencyMs: number;
  /** Speed-of-light latency for the same op on this system. */
  readonly solMs: number;
  readonly provenance: Provenance;
  /** What was used, e.g. "bracketed m in [64,128] at (n=4096,k=4096)". */
  readonly source: string;
  /** Mean board power while the op ran, when the table has power. */
  readonly powerW?: number;
  /** The op's speed of light is set by math rather than memory or links (it slows when clocks drop). */
  readonly computeBound?: boolean;
}

/** What the engine needs: answer any op query for one system + backend + version. */
export interface PerfDatabase {
  readonly systemName: string;
  readonly backend: string;
  readonly version: string;
  readonly mode: DatabaseMode;
  query(op: OpQuery): OpLatency;
  /** Which op kinds have measured tables (others fall back per mode). */
  hasTable(kind: OpKind): boolean;
}
