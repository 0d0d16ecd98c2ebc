// Parameter counts and the per-GPU memory facts of a model under a parallel layout: weights held
// and KV cache per token. Formulas: docs/models.md "Memory".
import { BYTES_PER_ELEMENT } from '../common/index.js';
import type { ModelSpec, QuantConfig } from './model-spec.js';
import { layersPerStage, type ParallelConfig } from './parallel-config.js';

export interface ParamCounts {
  /** Every weight of the main model (MTP layers excluded, as model cards count). */
  readonly totalParams: number;
  /** Weights touched per token: attention, dense MLPs, top-k routed + shared experts, embeddings. */
  readonly activeParams: number;
  /** Input embedding plus lm head (once when tied). */
  readonly embeddingParams: number;
}

/** Weights of one layer's attention block held on one of `tp` GPUs, by how they are laid out. */
interface AttentionWeights {
  /** GEMM weights every rank holds whole (MLA's down-projections). */
  readonly replicated: number;
  /** This rank's share of the tp-split GEMM weights (kv heads replicated when tp > n_kv). */
  readonly split: number;
  /** Norm weights inside the block (MLA's q / kv latent norms), replicated and kept in 16-bit. */
  readonly norms: number;
}

function attentionWeights(model: ModelSpec, tp: number): AttentionWeights {
  const h = model.hiddenSize;
  const mla = model.mla;
  if (mla) {
    const qk = mla.qkNopeHeadDim + mla.qkRopeHeadDim;
    const split =
      (mla.qLoraRank > 0 ? mla.qLoraRank : h) * model.numHeads * qk +
      mla.kvLoraRank * model.numHeads * (mla.qkNopeHeadDim + mla.vHeadDim) +
      model.numHeads * mla.vHeadDim * h;
    return {
      replicated: h * (mla.qLoraRank + mla.kvLoraRank + mla.qkRopeHeadDim),
      split: split / tp,
      norms: mla.qLoraRank + mla.kvLoraRank,
    };
  }
  const d = model.headDim;
  const kvHeads = Math.max(1, Math.ceil(model.numKvHeads / tp));
  const heads = model.numHeads / tp;
  return { replicated: 0, split: h * (heads + 2 * kvHeads) * d + heads * d * h, norms: 0 };
}

/** Weights of one layer's attention block, total (not per GPU); q/k norms included. */
function attentionParams(model: ModelSpec): number {
  const w = attentionWeights(model, 1);
  const qkNorm = !model.mla && model.qkNorm ? 2 * model.headDim : 0;
  return w.replicated + w.split + w.norms + qkNorm;
}

interface LayerWeights {
  readonly attention: number;
  readonly denseMlp: number;
  readonly experts: number;
  readonly shared: number;
  readonly router: number;
}

function layerWeights(model: ModelSpec): LayerWeights {
  const h = model.hiddenSize;
  const moe = model.moe;
  return {
    attention: attentionParams(model) + 2 * h,
    denseMlp: 3 * h * (moe?.denseInterSize ?? model.interSize),
    experts: moe ? 3 * h * moe.expertInterSize * moe.numExperts : 0,
    shared: moe ? 3 * h * moe.sharedInterSize * moe.numSharedExperts : 0,
    router: moe ? h * moe.numExperts : 0,
  };
}

function denseLayerCount(model: ModelSpec): number {
  return model.moe ? model.moe.firstDenseLayers : model.numLayers;
}

export function countParams(model: ModelSpec): ParamCounts {
  const w = layerWeights(model);
  const dense = denseLayerCount(model);
  const moeLayers = model.numLayers - dense;
  const embeddingParams = model.vocabSize * model.hiddenSize * (model.tieWordEmbeddings ? 1 : 2);
  const common = model.numLayers * w.attention + dense * w.denseMlp + model.hiddenSize + embeddingParams;
  const moeAll = moeLayers * (w.experts + w.shared + w.router);
  const topk = model.moe ? w.experts * (model.moe.topk / model.moe.numExperts) : 0;
  const moeActive = moeLayers * (topk + w.shared + w.router);
  return { totalParams: common + moeAll, activeParams: common + moeActive, embeddingParams };
}

/** Bytes of the busiest pipeline stage, given per-layer bytes and each end's extra bytes. */
function heaviestStageBytes(
  model: ModelSpec,
  pp: number,
  perLayerBytes: (layer: number) => number,
  firstExtra: number,
  lastExtra: number,
): number {
  let start = 0;
  let best = 0;
  layersPerStage(model, pp).forEach((n, stage) => {
    let bytes = stage === 0 ? firstExtra : 0;
    if (stage === pp - 1) bytes += lastExtra;
    for (let layer = start; layer < start + n; layer++) bytes += perLayerBytes(layer);
    best = Math.max(best, bytes);
    start += n;
  });
  return best;
}

/**
 * Weight bytes on one GPU of the busiest pipeline stage. Attention and dense-MLP GEMM weights are
 * split by tp (kv heads replicated when tp > n_kv; MLA down-projections replicated), experts by
 * moeTp * moeEp, the router and norms replicated; embedding and lm head in bf16, replicated per
 * rank unless `vocabParallel` (then / tp), on the first / last stage. MTP layers are left out
 * unless `includeMtp` (engines load them only for speculative decoding).
 */
export function weightBytesPerGpu(
  model: ModelSpec,
  parallel: ParallelConfig,
  quant: QuantConfig,
  options: { readonly vocabParallel?: boolean; readonly includeMtp?: boolean } = {},
): number {
  const h = model.hiddenSize;
  const tp = parallel.tp;
  const gemmBytes = BYTES_PER_ELEMENT[quant.gemm];
  const moeBytes = BYTES_PER_ELEMENT[quant.moe];
  const bf16 = BYTES_PER_ELEMENT.bfloat16;
  // Per-head q/k norm weights (a few KB) are left out.
  const a = attentionWeights(model, tp);
  const attention = (a.replicated + a.split) * gemmBytes + (a.norms + 2 * h) * bf16;
  const w = layerWeights(model);
  const moe = model.moe;
  const denseMlp = (w.denseMlp / tp) * gemmBytes;
  const moeLayer = moe
    ? (w.experts / (parallel.moeTp * parallel.moeEp)) * moeBytes +
      (w.shared / tp) * gemmBytes +
      w.router * bf16
    : 0;
  const dense = denseLayerCount(model);
  const perLayer = (layer: number): number => attention + (layer < dense ? denseMlp : moeLayer);
  const vocabRows = options.vocabParallel ? Math.ceil(model.vocabSize / tp) : model.vocabSize;
  const table = vocabRows * h * bf16;
  // A tied lm head shares the embedding on a single stage; with pp > 1 the last stage keeps a copy.
  const tableOnLast = (model.tieWordEmbeddings && parallel.pp === 1 ? 0 : table) + h * bf16;
  // MTP layers (loaded only with speculative decoding) sit after the last decoder layer: one
  // more decoder layer of the last kind each, plus the [2h -> h] projection and two norms.
  const mtpLayer = perLayer(model.numLayers - 1) + 2 * h * h * gemmBytes + 2 * h * bf16;
  const lastExtra = tableOnLast + (options.includeMtp ? model.nextnLayers * mtpLayer : 0);
  return heaviestStageBytes(model, parallel.pp, perLayer, table, lastExtra);
}

/**
 * KV-cache bytes per token held, on one GPU of the busiest stage: 2 * ceil(n_kv / tp) * d per
 * layer for GQA (at least one kv head per rank), (kv_lora_rank + rope dim) per layer for MLA
 * (the latent is replicated across tp). Sliding-window layers are counted in full by default,
 * which is what engines without a hybrid KV allocator reserve; with `seqLen` (the tokens a request
 * holds) they count only min(1, window / seqLen) per token, as a hybrid allocator keeps them.
 */
export function kvBytesPerTokenPerGpu(
  model: ModelSpec,
  parallel: ParallelConfig,
  quant: QuantConfig,
  options: { readonly seqLen?: number } = {},
): number {
  const perLayer = model.mla
    ? model.mla.kvLoraRank + model.mla.qkRopeHeadDim
    : 2 * Math.max(1, Math.ceil(model.numKvHeads / parallel.tp)) * model.headDim;
  const window = model.slidingWindow;
  const seqLen = options.seqLen;
  const slidingShare = window && seqLen !== undefined && seqLen > 0 ? Math.min(1, window.size / seqLen) : 1;
  const layerShare = (layer: number): number => (window?.layerTypes[layer] === 'sliding' ? slidingShare : 1);
  return (
    heaviestStageBytes(model, parallel.pp, (layer) => perLayer * layerShare(layer), 0, 0) *
    BYTES_PER_ELEMENT[quant.kvCache]
  );
}
