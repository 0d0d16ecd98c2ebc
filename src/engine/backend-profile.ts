import type { ElementwiseOp, OpKind } from '../perfdb/index.js';

// What differs between serving engines for the purposes of prediction: how much GPU memory
// they let the KV cache take, their default chunked-prefill budget, and the CPU time each
// scheduler step costs on top of the GPU work.

export const BACKENDS = ['vllm', 'sglang', 'trtllm', 'torch'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface BackendProfile {
  readonly name: Backend;
  /** Fraction of GPU memory the engine may use in total (weights + KV + activations). */
  readonly memFraction: number;
  /** Default context-token budget per step (chunked prefill). */
  readonly defaultCtxTokens: number;
  /** Host-side cost per scheduler step (scheduling, sampling, input prep), ms. */
  readonly stepOverheadMs: number;
  /**
   * Whether the host work of the next step overlaps the GPU work of this one, so a step costs
   * max(GPU time, host cost) instead of their sum: SGLang's overlap scheduler and TensorRT-LLM's
   * (PyTorch flow) are on by default; vLLM's async scheduling is opt-in.
   */
  readonly overlapsHostWork: boolean;
  /**
   * Whether decode-only steps replay CUDA graphs (every engine's default; vLLM --enforce-eager or
   * SGLang --disable-cuda-graph turn it off). Steps that carry prefill run eagerly either way.
   * Only a profile with launch costs (eagerLaunchMs) prices the difference.
   */
  readonly cudaGraphs: boolean;
  /**
   * Time a request spends in the serving stack outside the GPU steps before its first token
   * (HTTP, tokenisation, routing, scheduling hand-offs), ms; added to TTFT of served deployments.
   */
  readonly requestOverheadMs: number;
  /**
   * Launch costs outside the ops' own GPU time, per op instance: the idle gap between kernels
   * replayed from a CUDA graph, and the host time to launch an op eagerly. A step costs
   * max(GPU time + ops x gap, ops x eager launch) when it runs eagerly (prefill), else
   * GPU time + ops x gap. Zero for the serving engines: their tables and per-step overhead
   * already carry it.
   */
  readonly graphGapMs: number;
  /** Host time to launch one op eagerly, by op kind (a MoE op is many kernels). */
  readonly eagerLaunchMs: Readonly<Record<OpKind, number>>;
  /**
   * GPU time one op adds when launched eagerly rather than replayed from a graph, by op kind
   * (the GPU front end takes each kernel launch from the stream; a MoE op is many kernels).
   * Absent: eager steps add the graph gap per op instance.
   */
  readonly eagerGapMs?: Readonly<Record<OpKind, number>>;
  /**
   * How much slower compute-bound ops run under sustained load than the short bursts their
   * tables were timed in (the GPU holds its power limit by lowering clocks). 1 = as timed.
   */
  readonly sustainedComputeFactor: number;
  /**
   * How much slower the engine's prefill attention after a cached prefix runs than the database's
   * estimate for it (the tables have no prefix rows: no-prefix rows scaled by speed of light).
   * 1 = as estimated (no evidence either way).
   */
  readonly prefixAttentionFactor: number;
  /** Serving engines shard the lm head over TP; our torch reference model replicates it. */
  readonly lmHead: 'replicated' | 'vocab-parallel';
  /**
   * Elementwise ops the engine fuses into neighbouring kernels, so they cost nothing of their
   * own: serving engines apply rope and write the KV cache inside the attention kernel and fuse
   * the residual add into the following norm. Our torch reference model runs them eagerly.
   */
  readonly fusedElementwise: readonly ElementwiseOp[];
  /**
   * How the scheduler mixes prefill and decode. 'mixed': running decodes first, waiting prefills
   * fill the rest of the step's token budget (vLLM, TensorRT-LLM in-flight batching).
   * 'prefill-first': a prefill-only step whenever requests wait, decode steps only when none do
   * (SGLang's default event loop, without --enable-mixed-chunk).
   */
  readonly scheduler: SchedulerPolicy;
  /**
   * Whether the engine splits a prompt over steps by default. TensorRT-LLM does not
   * (enable_chunked_prefill defaults to false): a prompt waits until the step's token budget
   * (max_num_tokens, 8192) left beside the decodes holds it whole.
   */
  readonly chunkedPrefill: boolean;
  /**
   * Whether the engine quantises a GEMM's activation inside the norm before it, so GEMMs after a
   * norm skip the standalone activation quantisation the tables time with each quantised GEMM.
   * TensorRT-LLM fuses residual add + RMSNorm (+ the TP all-reduce) with FP8/NVFP4 quantisation;
   * vLLM (its fusion pass is off by default) and SGLang quantise in a kernel of their own.
   */
  readonly fusesNormQuant: boolean;
  /**
   * Whether a lone shared expert runs inside the routed MoE kernel where the engine allows it
   * (SGLang's shared-experts fusion, on by default for DeepSeek-V3/R1 without expert parallelism).
   */
  readonly fusesSharedExpert: boolean;
}

/** Engine launch settings that change a profile (the rest of it is the engine's defaults). */
export interface EngineSettings {
  /** false: decode steps run eagerly too (see BackendProfile.cudaGraphs). */
  readonly cudaGraphs?: boolean;
  /** The scheduler the engine ran, where it was not its default (e.g. SGLang --enable-mixed-chunk). */
  readonly scheduler?: SchedulerPolicy;
}

/** Whether the profile prices eager launches at all (only the torch backend measured them). */
export function pricesLaunchCost(profile: BackendProfile): boolean {
  return profile.graphGapMs > 0 || Object.values(profile.eagerLaunchMs).some((v) => v > 0);
}

export const SCHEDULER_POLICIES = ['mixed', 'prefill-first'] as const;
export type SchedulerPolicy = (typeof SCHEDULER_POLICIES)[number];

export function isSchedulerPolicy(value: string): value is SchedulerPolicy {
  return (SCHEDULER_POLICIES as readonly string[]).includes(value);
}

// Memory fractions are the engines' documented defaults: vLLM gpu-memory-utilization 0.9,
// SGLang mem-fraction-static ~0.88, TRT-LLM free-gpu-memory-fraction 0.9 (of free memory).
// Request overheads are the median gap between measured TTFT and our predicted one at
// concurrency <= 4 (little queueing) in the development measurements, rounded: docs/serving-model.md.
/** Launch costs of an engine whose tables and step overhead already carry them. */
export const NO_LAUNCH_COST: Readonly<Record<OpKind, number>> = {
  gemm: 0,
  context_attention: 0,
  generation_attention: 0,
  context_mla: 0,
  generation_mla: 0,
  mla_bmm: 0,
  moe: 0,
  comm: 0,
  elementwise: 0,
};

const SERVING_ENGINE_FUSIONS: readonly ElementwiseOp[] = ['rope', 'kv_write', 'add'];

const PROFILES: Readonly<Record<Backend, BackendProfile>> = {
  vllm: {
    name: 'vllm',
    overlapsHostWork: false,
    cudaGraphs: true,
    scheduler: 'mixed',
    chunkedPrefill: true,
    fusesNormQuant: false,
    fusesSharedExpert: false,
    memFraction: 0.9,
    defaultCtxTokens: 8192,
    stepOverheadMs: 1.0,
    requestOverheadMs: 45,
    graphGapMs: 0,
    eagerLaunchMs: NO_LAUNCH_COST,
    sustainedComputeFactor: 1,
    prefixAttentionFactor: 1,
    lmHead: 'vocab-parallel',
    fusedElementwise: SERVING_ENGINE_FUSIONS,
  },
  sglang: {
    name: 'sglang',
    overlapsHostWork: true,
    cudaGraphs: true,
    scheduler: 'prefill-first',
    chunkedPrefill: true,
    fusesNormQuant: false,
    fusesSharedExpert: true,
    memFraction: 0.88,
    defaultCtxTokens: 8192,
    stepOverheadMs: 1.0,
    requestOverheadMs: 170,
    graphGapMs: 0,
    eagerLaunchMs: NO_LAUNCH_COST,
    sustainedComputeFactor: 1,
    prefixAttentionFactor: 1,
    lmHead: 'vocab-parallel',
    fusedElementwise: SERVING_ENGINE_FUSIONS,
  },
  trtllm: {
    name: 'trtllm',
    overlapsHostWork: true,
    cudaGraphs: true,
    scheduler: 'mixed',
    chunkedPrefill: false,
    fusesNormQuant: true,
    fusesSharedExpert: false,
    memFraction: 0.9,
    defaultCtxTokens: 8192,
    stepOverheadMs: 0.8,
    requestOverheadMs: 70,
    graphGapMs: 0,
    eagerLaunchMs: NO_LAUNCH_COST,
    sustainedComputeFactor: 1,
    prefixAttentionFactor: 1,
    lmHead: 'vocab-parallel',
    fusedElementwise: SERVING_ENGINE_FUSIONS,
  },
  torch: {
    name: 'torch',
    overlapsHostWork: false,
    cudaGraphs: true,
    scheduler: 'mixed',
    chunkedPrefill: true,
    fusesNormQuant: false,
    fusesSharedExpert: false,
    memFraction: 0.9,
    defaultCtxTokens: 8192,
    stepOverheadMs: 0.0,
    requestOverheadMs: 0,
    // ~1 us between dependent kernels of a replayed graph. Eager launch times are the host (CPU)
    // time to enqueue one call of each collector kernel with the GPU held busy, measured on the
    // H200 machine by workers/torch/host_launch.py (scripts/device/reference-steps.sh;
    // data/reference/h200_sxm_host_launch.jsonl, medians over Llama-3.1-8B and Qwen3-30B-A3B
    // shapes). The collector's eager-minus-graph time undercounts it wherever the GPU is the
    // slower side. elementwise: mean over the elementwise ops of one Llama-3.1-8B and one
    // Qwen3-30B-A3B decoder layer (rms_norm 14.5 us, rope 81.7, kv_write 10.9, add 10.4,
    // silu_mul 25.0). MLA ops take their attention / GEMM counterparts; comm the GEMM value
    // (not measured: one kernel launch).
    graphGapMs: 0.001,
    // GPU time an eager launch adds over a graph replay, per op: queued eager calls minus graph
    // replays of the same calls (host_launch.py, `eager_gap_ms`, same data). elementwise: mean
    // over a Llama-3.1-8B and a Qwen3-30B-A3B decoder layer (rope 5.5 us, the rest 0.6-1.6 us).
    eagerGapMs: {
      gemm: 0.001,
      context_attention: 0.0001,
      generation_attention: 0.0021,
      context_mla: 0.0001,
      generation_mla: 0.0021,
      mla_bmm: 0.001,
      moe: 0.0231,
      comm: 0.001,
      elementwise: 0.0014,
    },
    eagerLaunchMs: {
      gemm: 0.0193,
      context_attention: 0.0273,
      generation_attention: 0.0346,
      context_mla: 0.0273,
      generation_mla: 0.0346,
      mla_bmm: 0.0193,
      moe: 0.358,
      comm: 0.0193,
      elementwise: 0.0232,
    },
    // Measured on an H200 (scripts/device/sustained-clock.sh): Llama-8B prefill GEMMs run back to
    // back for 4 s took 1.155x their burst time (SM clock 1980 -> 1500 MHz at the 700 W limit);
    // a memory-bound copy 1.006x. Applied to compute-bound ops only.
    sustainedComputeFactor: 1.155,
    // Measured on an H200 (scripts/device/prefix-attention.sh): PyTorch SDPA, new tokens against a
    // cached prefix under a lower-right causal mask, took 1.63-1.93x the SOL-scaled no-prefix
    // estimate over 12 shapes (Qwen3-8B / 30B-A3B / 32B heads, 512-2048 new after 1024-3072
    // cached); the median. Fewer query blocks keep fewer SMs busy than the square causal row.
    prefixAttentionFactor: 1.75,
    lmHead: 'replicated',
    fusedElementwise: [],
  },
};

export function backendProfile(backend: Backend, settings: EngineSettings = {}): BackendProfile {
  const profile = PROFILES[backend];
  const graphs = settings.cudaGraphs === false && profile.cudaGraphs;
  const scheduler = settings.scheduler !== undefined && settings.scheduler !== profile.scheduler;
  if (!graphs && !scheduler) return profile;
  return {
    ...profile,
    ...(graphs ? { cudaGraphs: false } : {}),
    ...(scheduler ? { scheduler: settings.scheduler! } : {}),
  };
}

export function isBackend(value: string): value is Backend {
  return (BACKENDS as readonly string[]).includes(value);
}
