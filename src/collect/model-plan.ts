// Model-driven case plans: only the shapes that given models need at given TP/EP, over a
// ladder of step shapes, snapped to grid axes so neighbouring steps share measurements.
// The op list comes from a ModelOpSource: the models layer (`decomposeStep`) when wired, or
// the built-in shapes below, which follow the layer order of docs torch-backend.md.
import type { OpQuery } from '../perfdb/index.js';
import type { CaseParams } from './case-params.js';
import type { CollectOp } from './op-registry.js';

export interface StepShape {
  readonly phase: 'context' | 'generation';
  readonly batchSize: number;
  /** New tokens per request (context) or 1 (generation). */
  readonly isl: number;
  /** Cached tokens per request that the step attends to (generation; 0 for context). */
  readonly kvLen: number;
}

/** Where a plan gets the ops of one model step. */
export interface ModelOpSource {
  listModels(): readonly string[];
  /** The source's id for a user-typed name (aliases, case), or undefined when unknown. */
  resolveModel(name: string): string | undefined;
  stepOps(modelId: string, tp: number, ep: number, step: StepShape): readonly OpQuery[];
}

/** The few facts of a model that the torch reference decomposition needs. */
export interface ModelShape {
  readonly id: string;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly interSize: number;
  readonly vocabSize: number;
  readonly moe?: { readonly numExperts: number; readonly topk: number; readonly expertInterSize: number };
  /** Sliding window of the windowed layers (GPT-OSS alternates windowed and full layers). */
  readonly slidingWindow?: number;
}

export const BUILTIN_MODEL_SHAPES: readonly ModelShape[] = [
  {
    id: 'Llama-3.1-8B',
    hiddenSize: 4096,
    numLayers: 32,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 128,
    interSize: 14336,
    vocabSize: 128256,
  },
  {
    id: 'Llama-3.1-70B',
    hiddenSize: 8192,
    numLayers: 80,
    numHeads: 64,
    numKvHeads: 8,
    headDim: 128,
    interSize: 28672,
    vocabSize: 128256,
  },
  {
    id: 'Qwen3-8B',
    hiddenSize: 4096,
    numLayers: 36,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 128,
    interSize: 12288,
    vocabSize: 151936,
  },
  {
    id: 'Qwen3-32B',
    hiddenSize: 5120,
    numLayers: 64,
    numHeads: 64,
    numKvHeads: 8,
    headDim: 128,
    interSize: 25600,
    vocabSize: 151936,
  },
  {
    id: 'Qwen3-30B-A3B',
    hiddenSize: 2048,
    numLayers: 48,
    numHeads: 32,
    numKvHeads: 4,
    headDim: 128,
    interSize: 6144,
    vocabSize: 151936,
    moe: { numExperts: 128, topk: 8, expertInterSize: 768 },
  },
  {
    id: 'Qwen3-235B-A22B',
    hiddenSize: 4096,
    numLayers: 94,
    numHeads: 64,
    numKvHeads: 4,
    headDim: 128,
    interSize: 12288,
    vocabSize: 151936,
    moe: { numExperts: 128, topk: 8, expertInterSize: 1536 },
  },
  {
    id: 'Mixtral-8x7B',
    hiddenSize: 4096,
    numLayers: 32,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 128,
    interSize: 14336,
    vocabSize: 32000,
    moe: { numExperts: 8, topk: 2, expertInterSize: 14336 },
  },
  {
    id: 'GPT-OSS-120B',
    hiddenSize: 2880,
    numLayers: 36,
    numHeads: 64,
    numKvHeads: 8,
    headDim: 64,
    interSize: 2880,
    vocabSize: 201088,
    moe: { numExperts: 128, topk: 4, expertInterSize: 2880 },
    slidingWindow: 128,
  },
  {
    id: 'GPT-OSS-20B',
    hiddenSize: 2880,
    numLayers: 24,
    numHeads: 64,
    numKvHeads: 8,
    headDim: 64,
    interSize: 2880,
    vocabSize: 201088,
    moe: { numExperts: 32, topk: 4, expertInterSize: 2880 },
    slidingWindow: 128,
  },
];

const gemm = (m: number, n: number, k: number): OpQuery => ({ kind: 'gemm', dtype: 'bfloat16', m, n, k });

/** One step's ops per torch-backend.md (dense or MoE decoder layer, final norm, lm-head). */
export function shapeStepOps(shape: ModelShape, tp: number, ep: number, step: StepShape): OpQuery[] {
  const h = shape.hiddenSize;
  const d = shape.headDim;
  const n = Math.max(1, Math.floor(shape.numHeads / tp));
  const nkv = Math.max(1, Math.floor(shape.numKvHeads / tp));
  const tokens = step.phase === 'context' ? step.batchSize * step.isl : step.batchSize;
  const ops: OpQuery[] = [];
  const ew = (
    op: 'rms_norm' | 'silu_mul' | 'add' | 'rope' | 'embedding' | 'kv_write',
    width: number,
  ): OpQuery => ({
    kind: 'elementwise',
    op,
    dtype: 'bfloat16',
    numTokens: tokens,
    width,
  });
  ops.push(
    ew('embedding', h),
    ew('rms_norm', h),
    gemm(tokens, (n + 2 * nkv) * d, h),
    ew('rope', (n + nkv) * d),
  );
  ops.push(ew('kv_write', 2 * nkv * d));
  const windows = shape.slidingWindow ? [0, shape.slidingWindow] : [0];
  for (const windowSize of windows) {
    if (step.phase === 'context')
      ops.push({
        kind: 'context_attention',
        batchSize: step.batchSize,
        isl: step.isl,
        prefix: 0,
        numHeads: n,
        numKvHeads: nkv,
        headDim: d,
        windowSize,
        attnDtype: 'bfloat16',
        kvCacheDtype: 'bfloat16',
      });
    else
      ops.push({
        kind: 'generation_attention',
        batchSize: step.batchSize,
        kvLen: step.kvLen,
        numHeads: n,
        numKvHeads: nkv,
        headDim: d,
        windowSize,
        kvCacheDtype: 'bfloat16',
      });
  }
  ops.push(gemm(tokens, h, n * d), ew('add', h), ew('rms_norm', h));
  if (tp > 1)
    ops.push({ kind: 'comm', op: 'all_reduce', dtype: 'bfloat16', numGpus: tp, messageElements: tokens * h });
  if (shape.moe) {
    const moeTp = Math.max(1, Math.floor(tp / ep));
    ops.push(gemm(tokens, shape.moe.numExperts, h));
    for (const distribution of ['balanced', 'power_law_1.01'] as const)
      ops.push({
        kind: 'moe',
        dtype: 'bfloat16',
        numTokens: tokens,
        hiddenSize: h,
        interSize: shape.moe.expertInterSize,
        topk: shape.moe.topk,
        numExperts: shape.moe.numExperts,
        moeTp,
        moeEp: ep,
        distribution,
      });
  } else {
    const inter = Math.floor(shape.interSize / tp);
    ops.push(gemm(tokens, 2 * inter, h), ew('silu_mul', inter), gemm(tokens, h, inter));
  }
  // The lm-head runs on the last token of each request, replicated with the full vocabulary.
  ops.push(gemm(step.batchSize, shape.vocabSize, h));
  return ops;
}

export function builtinModelSource(shapes: readonly ModelShape[] = BUILTIN_MODEL_SHAPES): ModelOpSource {
  const byId = new Map(shapes.map((s) => [s.id.toLowerCase(), s]));
  return {
    listModels: () => shapes.map((s) => s.id),
    resolveModel: (name) => byId.get(name.toLowerCase())?.id,
    stepOps: (modelId, tp, ep, step) => {
      const shape = byId.get(modelId.toLowerCase());
      if (!shape) throw new Error(`no built-in shape for model ${modelId}`);
      return shapeStepOps(shape, tp, ep, step);
    },
  };
}

/** The step ladder: prefill up to 16k tokens, decode batch up to 512 and kv up to 32k. */
export function defaultStepLadder(): StepShape[] {
  const out: StepShape[] = [];
  for (const isl of [128, 256, 512, 1024, 2048, 4096, 8192, 16384])
    for (const b of [1, 2, 4, 8, 16])
      if (b * isl <= 16384) out.push({ phase: 'context', batchSize: b, isl, kvLen: 0 });
  for (const b of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
    for (const kv of [1024, 4096, 16384, 32768])
      out.push({ phase: 'generation', batchSize: b, isl: 1, kvLen: kv });
  // Small prefills (chunks, short prompts) and single tokens for the GEMM m axis.
  for (const isl of [1, 16, 32, 64]) out.push({ phase: 'context', batchSize: 1, isl, kvLen: 0 });
  return out;
}

/** Token-count axis shared by GEMM m, MoE and elementwise tokens: measured points of the plan. */
export const TOKEN_AXIS = [
  1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192,
  12288, 16384,
];

/** Snap up to the nearest axis value (queries between points are interpolated by the database). */
export function snapUp(value: number, axis: readonly number[]): number {
  for (const v of axis) if (v >= value) return v;
  return axis[axis.length - 1] ?? value;
}

export interface PlannedCase {
  readonly op: CollectOp;
  readonly params: CaseParams;
}

/** Map an op query to the collector case that measures it (undefined when torch has no table). */
export function queryToCase(query: OpQuery, gemmDtypes: readonly string[] = ['bfloat16']): PlannedCase[] {
  switch (query.kind) {
    case 'gemm':
      return gemmDtypes.map((dtype) => ({
        op: 'gemm' as const,
        params: { gemm_dtype: dtype, m: snapUp(query.m, TOKEN_AXIS), n: query.n, k: query.k },
      }));
    case 'context_attention':
      return [
        {
          op: 'context_attention',
          params: {
            batch_size: query.batchSize,
            isl: query.isl,
            num_heads: query.numHeads,
            num_key_value_heads: query.numKvHeads,
            head_dim: query.headDim,
            window_size: query.windowSize,
            beam_width: 1,
            attn_dtype: 'bfloat16',
            kv_cache_dtype: 'bfloat16',
            step: 0,
          },
        },
      ];
    case 'generation_attention':
      return [
        {
          op: 'generation_attention',
          params: {
            batch_size: query.batchSize,
            isl: 1,
            num_heads: query.numHeads,
            num_key_value_heads: query.numKvHeads,
            head_dim: query.headDim,
            window_size: query.windowSize,
            beam_width: 1,
            attn_dtype: 'bfloat16',
            kv_cache_dtype: 'bfloat16',
            step: query.kvLen - 1,
          },
        },
      ];
    case 'moe':
      return [
        {
          op: 'moe',
          params: {
            moe_dtype: 'bfloat16',
            num_tokens: snapUp(query.numTokens, TOKEN_AXIS),
            hidden_size: query.hiddenSize,
            inter_size: query.interSize,
            topk: query.topk,
            num_experts: query.numExperts,
            moe_tp_size: query.moeTp,
            moe_ep_size: query.moeEp,
            distribution: query.distribution,
          },
        },
      ];
    case 'elementwise':
      return [
        {
          op: 'elementwise',
          params: {
            op_name: query.op,
            elementwise_dtype: 'bfloat16',
            num_tokens: snapUp(query.numTokens, TOKEN_AXIS),
            width: query.width,
          },
        },
      ];
    case 'comm':
      if (query.op === 'p2p') return [];
      return [
        {
          op: 'nccl',
          params: {
            op_name: query.op,
            nccl_dtype: query.dtype,
            num_gpus: query.numGpus,
            message_size: 2 ** Math.ceil(Math.log2(Math.max(256, query.messageElements))),
          },
        },
      ];
    default:
      return [];
  }
}

export interface ModelPlanRequest {
  readonly source: ModelOpSource;
  readonly models: readonly string[];
  readonly tps: readonly number[];
  readonly ladder?: readonly StepShape[];
  readonly gemmDtypes?: readonly string[];
}

/** Distinct cases per op for the requested models, TPs and step ladder. */
export function planModelCases(request: ModelPlanRequest): Map<CollectOp, CaseParams[]> {
  const ladder = request.ladder ?? defaultStepLadder();
  const seen = new Set<string>();
  const out = new Map<CollectOp, CaseParams[]>();
  // MoE experts either split by TP (ep 1) or spread by EP (ep = tp); dense models ignore ep.
  for (const model of request.models)
    for (const tp of request.tps)
      for (const ep of new Set([1, tp])) {
        for (const step of ladder)
          for (const query of request.source.stepOps(model, tp, ep, step))
            for (const planned of queryToCase(query, request.gemmDtypes)) {
              const key = `${planned.op}|${JSON.stringify(planned.params)}`;
              if (seen.has(key)) continue;
              seen.add(key);
              const list = out.get(planned.op) ?? [];
              list.push(planned.params);
              out.set(planned.op, list);
            }
      }
  return out;
}
