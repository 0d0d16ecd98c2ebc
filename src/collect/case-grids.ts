// Generic case grids per op. `full` is upstream scale (tens of thousands of GEMMs); `compact`
// spans the same ranges more coarsely for a campaign that must fit a short GPU lease.
import { BYTES_PER_ELEMENT, isDtype } from '../common/index.js';
import type { CaseParams } from './case-params.js';

export const GRID_SIZES = ['full', 'compact'] as const;
export type GridSize = (typeof GRID_SIZES)[number];

const pow2 = (from: number, to: number): number[] => {
  const out: number[] = [];
  for (let v = from; v <= to; v *= 2) out.push(v);
  return out;
};

// 74 m values like upstream: every value to 17, then denser-to-coarser up to 32768.
const GEMM_M_FULL = [
  ...Array.from({ length: 17 }, (_, i) => i + 1),
  20,
  24,
  28,
  32,
  40,
  48,
  56,
  64,
  80,
  96,
  112,
  128,
  160,
  192,
  224,
  256,
  320,
  384,
  448,
  512,
  640,
  768,
  896,
  1024,
  1280,
  1536,
  1792,
  2048,
  2560,
  3072,
  3584,
  4096,
  5120,
  6144,
  7168,
  8192,
  10240,
  12288,
  14336,
  16384,
  18432,
  20480,
  22528,
  24576,
  26624,
  28672,
  30720,
  32768,
  36864,
  40960,
  49152,
  57344,
  65536,
  73728,
  81920,
  98304,
  114688,
].slice(0, 74);
const GEMM_NK_FULL = [
  32, 64, 128, 256, 512, 768, 1024, 1536, 2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288,
  16384, 32768, 65536,
];
const GEMM_M_COMPACT = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
const GEMM_NK_COMPACT = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768];

export function gemmGrid(size: GridSize, dtypes: readonly string[]): CaseParams[] {
  const ms = size === 'full' ? GEMM_M_FULL : GEMM_M_COMPACT;
  const nks = size === 'full' ? GEMM_NK_FULL : GEMM_NK_COMPACT;
  const out: CaseParams[] = [];
  for (const dtype of dtypes)
    for (const n of nks) for (const k of nks) for (const m of ms) out.push({ gemm_dtype: dtype, m, n, k });
  return out;
}

function attentionHeadPairs(size: GridSize): Array<[number, number, number]> {
  const heads = size === 'full' ? [1, 2, 4, 8, 16, 24, 32, 40, 48, 64, 96] : [8, 16, 32, 64];
  const dims = size === 'full' ? [64, 128, 192, 256] : [64, 128];
  const out: Array<[number, number, number]> = [];
  for (const n of heads)
    for (const kv of new Set([n, 1, 2, 4, 8]))
      if (kv <= n && n % kv === 0) for (const d of dims) out.push([n, kv, d]);
  return out;
}

/** One bf16 attention case (context: step 0; generation: isl 1, step = kv length - 1). */
export const attentionRow = (
  b: number,
  isl: number,
  step: number,
  n: number,
  kv: number,
  d: number,
  windowSize = 0,
): CaseParams => ({
  batch_size: b,
  isl,
  num_heads: n,
  num_key_value_heads: kv,
  head_dim: d,
  window_size: windowSize,
  beam_width: 1,
  attn_dtype: 'bfloat16',
  kv_cache_dtype: 'bfloat16',
  step,
});

export function contextAttentionGrid(size: GridSize): CaseParams[] {
  const bs = size === 'full' ? [1, 2, 4, 8, 16, 32, 64, 128, 256] : [1, 2, 4, 8, 16, 32];
  const ss =
    size === 'full'
      ? [1, 16, 32, 64, 128, 256, 512, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384]
      : [16, 64, 256, 512, 1024, 2048, 4096, 8192, 16384];
  const budget = size === 'full' ? 131072 : 65536;
  const out: CaseParams[] = [];
  for (const [n, kv, d] of attentionHeadPairs(size))
    for (const b of bs) for (const s of ss) if (b * s <= budget) out.push(attentionRow(b, s, 0, n, kv, d));
  return out;
}

export function generationAttentionGrid(size: GridSize): CaseParams[] {
  const bs = size === 'full' ? pow2(1, 2048) : [1, 4, 16, 64, 256, 512];
  const kvs = size === 'full' ? pow2(2, 131072) : [128, 1024, 4096, 16384, 32768];
  const budget = size === 'full' ? 2 ** 24 : 2 ** 23;
  const out: CaseParams[] = [];
  for (const [n, kv, d] of attentionHeadPairs(size))
    for (const b of bs)
      for (const s of kvs) if (b * s <= budget) out.push(attentionRow(b, 1, s - 1, n, kv, d));
  return out;
}

/** Routed-expert dims of MoE models people serve: [hidden, expert inter, experts, topk]. */
export const MOE_MODEL_DIMS: ReadonlyArray<readonly [number, number, number, number]> = [
  [2048, 768, 128, 8], // Qwen3-30B-A3B
  [4096, 1536, 128, 8], // Qwen3-235B-A22B
  [4096, 14336, 8, 2], // Mixtral-8x7B
  [2880, 2880, 128, 4], // GPT-OSS-120B
  [2880, 2880, 32, 4], // GPT-OSS-20B
  [7168, 2048, 256, 8], // DeepSeek-V3
];
export const MOE_PARALLEL: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [2, 1],
  [1, 2],
  [4, 1],
  [1, 4],
  [8, 1],
  [1, 8],
];
export const MOE_GRID_DISTRIBUTIONS = ['balanced', 'power_law_1.01', 'power_law_1.2'] as const;

export function moeGrid(size: GridSize): CaseParams[] {
  const tokens = size === 'full' ? pow2(1, 16384) : [1, 8, 64, 256, 1024, 4096, 16384];
  const dists = size === 'full' ? MOE_GRID_DISTRIBUTIONS : (['balanced', 'power_law_1.01'] as const);
  const out: CaseParams[] = [];
  for (const [h, inter, e, k] of MOE_MODEL_DIMS)
    for (const [tp, ep] of MOE_PARALLEL) {
      if (e % ep !== 0 || inter % tp !== 0) continue;
      for (const distribution of dists)
        for (const t of tokens)
          out.push({
            moe_dtype: 'bfloat16',
            num_tokens: t,
            hidden_size: h,
            inter_size: inter,
            topk: k,
            num_experts: e,
            moe_tp_size: tp,
            moe_ep_size: ep,
            distribution,
          });
    }
  return out;
}

export const ELEMENTWISE_GRID_OPS = ['rms_norm', 'silu_mul', 'add', 'rope', 'embedding', 'kv_write'] as const;

export function elementwiseGrid(size: GridSize): CaseParams[] {
  const tokens = size === 'full' ? pow2(1, 32768) : [1, 16, 128, 512, 2048, 8192, 16384];
  const widths =
    size === 'full' ? [512, 1024, 2048, 2560, 4096, 5120, 7168, 8192, 12288, 16384] : [1024, 4096, 8192];
  const out: CaseParams[] = [];
  for (const op of ELEMENTWISE_GRID_OPS)
    for (const width of widths)
      for (const t of tokens) out.push({ op_name: op, elementwise_dtype: 'bfloat16', num_tokens: t, width });
  return out;
}

export const NCCL_GRID_OPS = ['all_reduce', 'all_gather', 'reduce_scatter', 'alltoall'] as const;

/** 512 B to 512 MiB doubling, as element counts of each dtype. */
export function ncclGrid(
  numGpus: readonly number[],
  dtypes: readonly string[] = ['bfloat16', 'int8'],
): CaseParams[] {
  const out: CaseParams[] = [];
  for (const op of NCCL_GRID_OPS)
    for (const dtype of dtypes)
      for (const g of numGpus)
        for (let bytes = 512; bytes <= 512 * 2 ** 20; bytes *= 2)
          out.push({
            op_name: op,
            nccl_dtype: dtype,
            num_gpus: g,
            message_size: bytes / (isDtype(dtype) ? BYTES_PER_ELEMENT[dtype] : 2),
          });
  return out;
}
