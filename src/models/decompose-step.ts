// A model + parallel layout + quantisation + step shape -> the list of ops one GPU runs, with
// counts for the FULL model (all layers; the engine splits pipeline stages). Conventions and
// their reasons: docs/models.md "How a step becomes ops". Layer order follows the torch
// reference runner (shared design note torch-backend.md).
import type { Dtype } from '../common/index.js';
import type { CommOp, ElementwiseOp, MoeRouting, OpQuery } from '../perfdb/index.js';
import type { ModelSpec, QuantConfig } from './model-spec.js';
import { type ParallelConfig, pipelineHops, validateParallel } from './parallel-config.js';
import { type StepShape, validateStep } from './step-shape.js';

export const OP_ROLES = ['compute', 'attention', 'comm', 'elementwise'] as const;
export type OpRole = (typeof OP_ROLES)[number];

export interface ModelOp {
  readonly name: string;
  readonly query: OpQuery;
  /** How many times the op runs in one step (layers x occurrences per layer). */
  readonly count: number;
  readonly role: OpRole;
}

export interface DecomposeOptions {
  /**
   * 'replicated' (default, the torch backend: every rank holds the whole lm head) or
   * 'vocab-parallel' (vLLM, SGLang, TRT-LLM: V/tp per rank, then an all_gather of the logits).
   */
  readonly lmHead?: 'replicated' | 'vocab-parallel';
  /**
   * How the MoE op's tokens are routed. Default 'random' (independent uniform picks, what a
   * load-balanced router does on average); the torch reference runner routes 'balanced'.
   */
  readonly moeDistribution?: MoeRouting;
  /**
   * Token exchange around the experts when attentionDp > 1: all_gather + reduce_scatter (default:
   * what vLLM, SGLang and TensorRT-LLM do on Hopper unless an all-to-all library such as DeepEP
   * is switched on, at any EP width), or all-to-all dispatch + combine of topk copies per token.
   */
  readonly moeDispatch?: 'allgather' | 'alltoall';
  /**
   * The engine quantises a GEMM's activation inside the norm before it (TensorRT-LLM's fused
   * residual-add + RMSNorm (+ all-reduce) + FP8/NVFP4 quantisation): GEMMs right after a norm
   * take their input already quantised.
   */
  readonly fusedNormQuant?: boolean;
  /**
   * The engine runs a lone shared expert of the routed experts' width as one more expert inside
   * the routed MoE kernel, picked by every token (SGLang's default for DeepSeek-V3/R1 on NVIDIA
   * GPUs: 256 routed experts, no expert parallelism). See sharedExpertFusable.
   */
  readonly fuseSharedExpert?: boolean;
  /**
   * GPUs one NVLink domain holds (a node on HGX systems): pipeline hops between domains are
   * priced on the inter-node link. Unset: every hop stays inside one domain.
   */
  readonly gpusPerLinkDomain?: number;
}

/** GEMM formats that quantise the activation as well as the weights. */
const ACTIVATION_QUANTISED: ReadonlySet<Dtype> = new Set(['fp8', 'fp8_block', 'nvfp4', 'int8']);

const ACT: Dtype = 'bfloat16';

class OpList {
  readonly ops: ModelOp[] = [];

  constructor(private readonly fusedNormQuant: boolean) {}

  add(name: string, role: OpRole, count: number, query: OpQuery): void {
    if (count > 0) this.ops.push({ name, role, count, query });
  }

  gemm(name: string, count: number, dtype: Dtype, m: number, n: number, k: number, afterNorm = false): void {
    if (!(m > 0 && n > 0 && k > 0)) return;
    const inputQuantized = afterNorm && this.fusedNormQuant && ACTIVATION_QUANTISED.has(dtype);
    this.add(name, 'compute', count, {
      kind: 'gemm',
      dtype,
      m,
      n,
      k,
      ...(inputQuantized ? { inputQuantized } : {}),
    });
  }

  elementwise(
    name: string,
    count: number,
    op: ElementwiseOp,
    numTokens: number,
    width: number,
    dtype = ACT,
  ): void {
    if (numTokens > 0 && width > 0) {
      this.add(name, 'elementwise', count, { kind: 'elementwise', op, dtype, numTokens, width });
    }
  }

  comm(
    name: string,
    count: number,
    op: CommOp,
    dtype: Dtype,
    numGpus: number,
    messageElements: number,
  ): void {
    if (numGpus > 1 && messageElements > 0) {
      this.add(name, 'comm', count, { kind: 'comm', op, dtype, numGpus, messageElements });
    }
  }
}

/** The absorbed MLA batched matmuls have fp8 and bf16 kernels only. */
function bmmDtype(gemm: Dtype): Dtype {
  if (gemm === 'fp8' || gemm === 'fp8_block') return 'fp8';
  return 'bfloat16';
}

interface StepContext {
  readonly model: ModelSpec;
  readonly parallel: ParallelConfig;
  readonly quant: QuantConfig;
  readonly step: StepShape;
  /** Tokens in the step (prefill + decode queries) on this attention-DP rank. */
  readonly x: number;
  readonly xCtx: number;
  readonly xGen: number;
  /** Decoder layers that run attention this step (model layers + MTP layers when speculating). */
  readonly attnLayers: number;
  readonly mtpLayers: number;
}

function addGqaAttention(list: OpList, c: StepContext): void {
  const { model, parallel, quant, step, x } = c;
  const d = model.headDim;
  const heads = model.numHeads / parallel.tp;
  const kvHeads = Math.max(1, Math.ceil(model.numKvHeads / parallel.tp));
  const L = c.attnLayers;
  list.gemm('qkv_proj', L, quant.gemm, x, (heads + 2 * kvHeads) * d, model.hiddenSize, true);
  if (model.qkNorm) list.elementwise('qk_norm', L, 'rms_norm', x, (heads + kvHeads) * d);
  // A norm over the whole q and k projections sums each token's squares across the tp ranks:
  // one all-reduce of two fp32 values per token (vLLM's and SGLang's MiniMaxText01RMSNormTP).
  if (model.qkNormAcrossHeads)
    list.comm('qk_norm_all_reduce', L, 'all_reduce', 'float32', parallel.tp, 2 * x);
  list.elementwise('rope', L, 'rope', x, (heads + kvHeads) * d);
  list.elementwise('kv_write', L, 'kv_write', x, 2 * kvHeads * d, quant.kvCache);

  // Full and sliding-window layers are priced separately; MTP layers use full attention.
  const sliding = model.slidingWindow?.layerTypes.filter((t) => t === 'sliding').length ?? 0;
  const groups = [
    { suffix: '', count: model.numLayers - sliding + c.mtpLayers, windowSize: 0 },
    { suffix: '_swa', count: sliding, windowSize: model.slidingWindow?.size ?? 0 },
  ];
  for (const g of groups) {
    if (c.xCtx > 0) {
      list.add(`context_attention${g.suffix}`, 'attention', g.count, {
        kind: 'context_attention',
        batchSize: step.ctxRequests,
        isl: step.ctxTokens,
        prefix: step.ctxPrefix,
        numHeads: heads,
        numKvHeads: kvHeads,
        headDim: d,
        windowSize: g.windowSize,
        attnDtype: quant.fmha,
        kvCacheDtype: quant.kvCache,
      });
    }
    if (c.xGen > 0) {
      // Each speculative query position counts as one decode query against the cache.
      list.add(`generation_attention${g.suffix}`, 'attention', g.count, {
        kind: 'generation_attention',
        batchSize: step.genRequests * step.genTokensPerRequest,
        kvLen: step.genKvLen,
        numHeads: heads,
        numKvHeads: kvHeads,
        headDim: d,
        windowSize: g.windowSize,
        kvCacheDtype: quant.kvCache,
      });
    }
  }
  list.gemm('o_proj', L, quant.gemm, x, model.hiddenSize, heads * d);
}

function addMlaAttention(list: OpList, c: StepContext): void {
  const { model, parallel, quant, step, x } = c;
  const mla = model.mla!;
  const heads = model.numHeads / parallel.tp;
  const qkHead = mla.qkNopeHeadDim + mla.qkRopeHeadDim;
  const L = c.attnLayers;
  const h = model.hiddenSize;
  // The down-projections are small and replicated on every rank (not split by tp).
  list.gemm('qkv_a_proj', L, quant.gemm, x, mla.qLoraRank + mla.kvLoraRank + mla.qkRopeHeadDim, h, true);
  list.elementwise('qkv_a_norm', L, 'rms_norm', x, mla.qLoraRank + mla.kvLoraRank);
  if (mla.qLoraRank > 0) list.gemm('q_b_proj', L, quant.gemm, x, heads * qkHead, mla.qLoraRank, true);
  else list.gemm('q_proj', L, quant.gemm, x, heads * qkHead, h, true);
  list.elementwise('rope', L, 'rope', x, (heads + 1) * mla.qkRopeHeadDim);
  list.elementwise('kv_write', L, 'kv_write', x, mla.kvLoraRank + mla.qkRopeHeadDim, quant.kvCache);
  if (c.xCtx > 0) {
    // Prefill runs un-absorbed: expand the latent to per-head k_nope and v, for the cached
    // prefix too (chunked prefill / prefix-cache hits re-expand it).
    const kvB = heads * (mla.qkNopeHeadDim + mla.vHeadDim);
    list.gemm('kv_b_proj', L, quant.gemm, c.xCtx, kvB, mla.kvLoraRank);
    list.gemm('kv_b_proj_prefix', L, quant.gemm, step.ctxRequests * step.ctxPrefix, kvB, mla.kvLoraRank);
    list.add('context_mla', 'attention', L, {
      kind: 'context_mla',
      batchSize: step.ctxRequests,
      isl: step.ctxTokens,
      prefix: step.ctxPrefix,
      numHeads: heads,
      mlaDtype: quant.fmha,
      kvCacheDtype: quant.kvCache,
    });
  }
  if (c.xGen > 0) {
    // Decode runs absorbed: q_nope -> latent (pre), attention over the latent cache, latent -> v (post).
    const bmm = bmmDtype(quant.gemm);
    list.add('mla_bmm_pre', 'compute', L, {
      kind: 'mla_bmm',
      phase: 'pre',
      dtype: bmm,
      numTokens: c.xGen,
      numHeads: heads,
    });
    list.add('generation_mla', 'attention', L, {
      kind: 'generation_mla',
      batchSize: step.genRequests * step.genTokensPerRequest,
      kvLen: step.genKvLen,
      numHeads: heads,
      kvCacheDtype: quant.kvCache,
    });
    list.add('mla_bmm_post', 'compute', L, {
      kind: 'mla_bmm',
      phase: 'post',
      dtype: bmm,
      numTokens: c.xGen,
      numHeads: heads,
    });
  }
  // o_proj maps the per-rank heads' v outputs back to the hidden size in both phases.
  list.gemm('o_proj', L, quant.gemm, x, h, heads * mla.vHeadDim);
}

function addDenseMlp(list: OpList, c: StepContext, prefix: string, layers: number, inter: number): void {
  const { model, parallel, quant, x } = c;
  const perGpu = inter / parallel.tp;
  list.gemm(`${prefix}gate_up_proj`, layers, quant.gemm, x, 2 * perGpu, model.hiddenSize, true);
  list.elementwise(`${prefix}silu_mul`, layers, 'silu_mul', x, perGpu);
  list.gemm(`${prefix}down_proj`, layers, quant.gemm, x, model.hiddenSize, perGpu);
}

/**
 * Whether SGLang folds this model's shared expert into the routed MoE kernel: one shared expert
 * as wide as a routed one, the 256 routed experts of DeepSeek-V3/R1 (its allow-list), and no
 * expert parallelism (fusion is switched off under EP and DeepEP).
 */
export function sharedExpertFusable(model: ModelSpec, parallel: ParallelConfig): boolean {
  const moe = model.moe;
  return (
    moe !== undefined &&
    moe.numSharedExperts === 1 &&
    moe.sharedInterSize === moe.expertInterSize &&
    moe.numExperts === 256 &&
    parallel.moeEp === 1
  );
}

function addMoe(list: OpList, c: StepContext, layers: number, options: DecomposeOptions): void {
  const { model, parallel, quant, x } = c;
  const moe = model.moe!;
  const fuseShared = options.fuseSharedExpert === true && sharedExpertFusable(model, parallel);
  const h = model.hiddenSize;
  const group = parallel.tp * parallel.attentionDp;
  // The router stays in bf16 in every shipped checkpoint and is replicated on every rank.
  list.gemm('router', layers, 'bfloat16', x, moe.numExperts, h);
  const dispatch = options.moeDispatch ?? 'allgather';
  const dpTokens = x * parallel.attentionDp;
  if (parallel.attentionDp > 1) {
    if (dispatch === 'alltoall') {
      list.comm('moe_dispatch', layers, 'alltoall', quant.comm, group, x * moe.topk * h);
    } else {
      list.comm('moe_all_gather', layers, 'all_gather', quant.comm, group, dpTokens * h);
    }
  }
  list.add('moe', 'compute', layers, {
    kind: 'moe',
    dtype: quant.moe,
    // A fused shared expert adds one pick per token: priced as the routed kernel over T(k+1)/k
    // tokens, the same T(k+1) token-expert pairs (a little over on the experts touched when
    // decode batches are small, where the shared expert is one more expert's weights).
    numTokens: fuseShared ? (dpTokens * (moe.topk + 1)) / moe.topk : dpTokens,
    hiddenSize: h,
    interSize: moe.expertInterSize,
    topk: moe.topk,
    numExperts: moe.numExperts,
    moeTp: parallel.moeTp,
    moeEp: parallel.moeEp,
    distribution: options.moeDistribution ?? 'random',
  });
  if (moe.numSharedExperts > 0 && moe.sharedInterSize > 0 && !fuseShared) {
    addDenseMlp(list, c, 'shared_', layers, moe.numSharedExperts * moe.sharedInterSize);
  }
  if (parallel.attentionDp > 1) {
    if (dispatch === 'alltoall') {
      list.comm('moe_combine', layers, 'alltoall', quant.comm, group, x * moe.topk * h);
    } else {
      list.comm('moe_reduce_scatter', layers, 'reduce_scatter', quant.comm, group, dpTokens * h);
    }
    // Shared experts are split over the rank's attention TP and need their own reduction.
    if (moe.numSharedExperts > 0 && !fuseShared)
      list.comm('shared_all_reduce', layers, 'all_reduce', quant.comm, parallel.tp, x * h);
  } else {
    // One all-reduce sums the experts' (and shared experts') partial outputs over the tp ranks.
    list.comm('moe_all_reduce', layers, 'all_reduce', quant.comm, parallel.tp, x * h);
  }
}

/**
 * The ops one GPU runs for one step, with counts for the whole model. Shapes are per GPU
 * (divided by tp etc.). Ops with no tokens or requests are left out; an empty step gives [].
 */
export function decomposeStep(
  model: ModelSpec,
  parallel: ParallelConfig,
  quant: QuantConfig,
  step: StepShape,
  options: DecomposeOptions = {},
): ModelOp[] {
  validateParallel(model, parallel);
  validateStep(step);
  const xCtx = step.ctxRequests * step.ctxTokens;
  const xGen = step.genRequests * step.genTokensPerRequest;
  const x = xCtx + xGen;
  if (x === 0) return [];
  const h = model.hiddenSize;
  // MTP layers run only when speculative decoding is on (more than one query per decode request).
  const mtpLayers = model.nextnLayers > 0 && step.genTokensPerRequest > 1 ? model.nextnLayers : 0;
  const attnLayers = model.numLayers + mtpLayers;
  const c: StepContext = { model, parallel, quant, step, x, xCtx, xGen, attnLayers, mtpLayers };
  const list = new OpList(options.fusedNormQuant ?? false);

  list.elementwise('embedding', 1, 'embedding', x, h);
  list.elementwise('input_norm', attnLayers, 'rms_norm', x, h);
  if (model.mla) addMlaAttention(list, c);
  else addGqaAttention(list, c);
  list.comm('attn_all_reduce', attnLayers, 'all_reduce', quant.comm, parallel.tp, x * h);
  list.elementwise('residual_add', 2 * attnLayers, 'add', x, h);
  list.elementwise('post_attn_norm', attnLayers, 'rms_norm', x, h);

  if (model.moe) {
    const denseLayers = model.moe.firstDenseLayers;
    addDenseMlp(list, c, 'dense_', denseLayers, model.moe.denseInterSize ?? model.interSize);
    list.comm('dense_mlp_all_reduce', denseLayers, 'all_reduce', quant.comm, parallel.tp, x * h);
    addMoe(list, c, model.numLayers - denseLayers + mtpLayers, options);
  } else {
    addDenseMlp(list, c, '', attnLayers, model.interSize);
    list.comm('mlp_all_reduce', attnLayers, 'all_reduce', quant.comm, parallel.tp, x * h);
  }

  if (mtpLayers > 0) {
    // Each MTP module normalises the embedding and hidden state and projects [2h -> h] first.
    list.elementwise('mtp_norm', 2 * mtpLayers, 'rms_norm', x, h);
    list.gemm('mtp_eh_proj', mtpLayers, quant.gemm, x, h, 2 * h);
  }
  list.elementwise('final_norm', 1 + mtpLayers, 'rms_norm', x, h);
  // Logits for the last token of each prefill request and every decode query position; the lm
  // head is never quantised in the shipped checkpoints.
  const lmRows = step.ctxRequests + xGen;
  const vocabParallel = options.lmHead === 'vocab-parallel' && parallel.tp > 1;
  const vocab = vocabParallel ? Math.ceil(model.vocabSize / parallel.tp) : model.vocabSize;
  list.gemm('lm_head', 1 + mtpLayers, 'bfloat16', lmRows, vocab, h);
  if (vocabParallel) {
    list.comm('lm_head_all_gather', 1 + mtpLayers, 'all_gather', ACT, parallel.tp, lmRows * model.vocabSize);
  }
  // A p2p op's numGpus is the span its link serves: 2 inside a domain, two domains across them.
  const domain = options.gpusPerLinkDomain;
  const hops = domain ? pipelineHops(parallel, domain) : { inDomain: parallel.pp - 1, crossDomain: 0 };
  list.comm('pipeline_p2p', hops.inDomain, 'p2p', ACT, 2, x * h);
  if (domain) list.comm('pipeline_p2p_cross_node', hops.crossDomain, 'p2p', ACT, 2 * domain, x * h);
  return list.ops;
}
