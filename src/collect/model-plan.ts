// Model-driven case plans: only the shapes that given models need at given TP/EP, over a
// ladder of step shapes, snapped to grid axes so neighbouring steps share measurements.
// The op list comes from a ModelOpSource; the collector's is `catalogModelSource()` (the models
// layer's `decomposeStep` over the catalog), so model facts live in one place only.
import { InferplanError } from '../common/index.js';
import type { OpQuery } from '../perfdb/index.js';
import { attentionRow } from './case-grids.js';
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
  /** Throws an InferplanError saying why where the model cannot run at this tp / ep. */
  stepOps(modelId: string, tp: number, ep: number, step: StepShape): readonly OpQuery[];
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
          params: attentionRow(
            query.batchSize,
            query.isl,
            0,
            query.numHeads,
            query.numKvHeads,
            query.headDim,
            query.windowSize,
          ),
        },
      ];
    case 'generation_attention':
      return [
        {
          op: 'generation_attention',
          params: attentionRow(
            query.batchSize,
            1,
            query.kvLen - 1,
            query.numHeads,
            query.numKvHeads,
            query.headDim,
            query.windowSize,
          ),
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
  /** Told of each model and tp that no layout (ep 1 or ep = tp) can use, with the first reason. */
  readonly onImpossible?: (layout: ImpossibleLayout) => void;
}

export interface ImpossibleLayout {
  readonly model: string;
  readonly tp: number;
  readonly reason: string;
}

/** Distinct cases per op for the requested models, TPs and step ladder. */
export function planModelCases(request: ModelPlanRequest): Map<CollectOp, CaseParams[]> {
  const ladder = request.ladder ?? defaultStepLadder();
  const seen = new Set<string>();
  const out = new Map<CollectOp, CaseParams[]>();
  // MoE experts either split by TP (ep 1) or spread by EP (ep = tp); dense models ignore ep.
  for (const model of request.models)
    for (const tp of request.tps) {
      let usable = false;
      let reason: string | undefined;
      for (const ep of new Set([1, tp]))
        for (const step of ladder) {
          let queries: readonly OpQuery[];
          try {
            queries = request.source.stepOps(model, tp, ep, step);
          } catch (error) {
            // A layout this model cannot use (tp not dividing its heads, ...) needs no shapes;
            // the reason is kept so an empty plan can say why.
            if (!(error instanceof InferplanError)) throw error;
            reason ??= error.message;
            continue;
          }
          usable = true;
          for (const query of queries)
            for (const planned of queryToCase(query, request.gemmDtypes)) {
              const key = `${planned.op}|${JSON.stringify(planned.params)}`;
              if (seen.has(key)) continue;
              seen.add(key);
              const list = out.get(planned.op) ?? [];
              list.push(planned.params);
              out.set(planned.op, list);
            }
        }
      if (!usable) request.onImpossible?.({ model, tp, reason: reason ?? 'no step shape applies' });
    }
  return out;
}
