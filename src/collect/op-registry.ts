// The collector's op registry: one entry per torch table (file, key columns, op_name and
// kernel_source per row, grid, rough cost). Adding an op = one entry here + a worker kernel.

import {
  contextAttentionGrid,
  elementwiseGrid,
  type GridSize,
  gemmGrid,
  generationAttentionGrid,
  moeGrid,
  ncclGrid,
} from './case-grids.js';
import type { CaseParams } from './case-params.js';

export const COLLECT_OPS = [
  'gemm',
  'context_attention',
  'generation_attention',
  'moe',
  'elementwise',
  'nccl',
] as const;
export type CollectOp = (typeof COLLECT_OPS)[number];

export const BACKENDS = ['torch'] as const;
export type Backend = (typeof BACKENDS)[number];

export const PREFIX_COLUMNS = ['framework', 'version', 'device', 'op_name', 'kernel_source'] as const;

export interface GridOptions {
  readonly size: GridSize;
  /** GPU counts for nccl cases (the GPUs this campaign owns). */
  readonly ncclGpus: readonly number[];
}

export interface OpSpec {
  readonly op: CollectOp;
  /** File stem: `<table>_perf.txt`. */
  readonly table: string;
  /** Key columns in file order, after the prefix. */
  readonly keyColumns: readonly string[];
  readonly opName: (params: CaseParams) => string;
  readonly kernelSource: (params: CaseParams) => string;
  readonly grid: (options: GridOptions) => CaseParams[];
  /** Rough GPU-side cost of one case (ms of kernel time), for --plan-only estimates. */
  readonly estimateKernelMs: (params: CaseParams) => number;
  /** Needs every GPU of the campaign at once (collectives), run by one worker. */
  readonly usesAllGpus: boolean;
}

const num = (params: CaseParams, key: string): number => {
  const value = params[key];
  return typeof value === 'number' ? value : Number(value);
};
const str = (params: CaseParams, key: string): string => String(params[key]);

// Rough H100/H200-class rates, only for duration estimates of a plan.
const FLOPS = 600e12;
const BYTES = 3e12;
const roofMs = (flops: number, bytes: number): number => Math.max(flops / FLOPS, bytes / BYTES) * 1e3 + 0.005;

const ATTENTION_KEYS = [
  'batch_size',
  'isl',
  'num_heads',
  'num_key_value_heads',
  'head_dim',
  'window_size',
  'beam_width',
  'attn_dtype',
  'kv_cache_dtype',
  'step',
] as const;

export const OP_REGISTRY: Readonly<Record<CollectOp, OpSpec>> = {
  gemm: {
    op: 'gemm',
    table: 'gemm',
    keyColumns: ['gemm_dtype', 'm', 'n', 'k'],
    opName: () => 'gemm',
    kernelSource: (p) => (str(p, 'gemm_dtype') === 'fp8' ? 'torch_scaled_mm_rowwise' : 'torch_linear'),
    grid: (o) => gemmGrid(o.size, ['bfloat16', 'fp8']),
    estimateKernelMs: (p) => {
      const [m, n, k] = [num(p, 'm'), num(p, 'n'), num(p, 'k')];
      return roofMs(2 * m * n * k, 2 * (m * k + n * k + m * n));
    },
    usesAllGpus: false,
  },
  context_attention: {
    op: 'context_attention',
    table: 'context_attention',
    keyColumns: ATTENTION_KEYS,
    opName: () => 'context_attention',
    kernelSource: () => 'torch_sdpa',
    grid: (o) => contextAttentionGrid(o.size),
    estimateKernelMs: (p) => {
      const [b, s, n, d] = [num(p, 'batch_size'), num(p, 'isl'), num(p, 'num_heads'), num(p, 'head_dim')];
      return roofMs(2 * b * s * s * n * d, 8 * b * s * n * d);
    },
    usesAllGpus: false,
  },
  generation_attention: {
    op: 'generation_attention',
    table: 'generation_attention',
    keyColumns: ATTENTION_KEYS,
    opName: () => 'generation_attention',
    kernelSource: () => 'torch_sdpa',
    grid: (o) => generationAttentionGrid(o.size),
    estimateKernelMs: (p) => {
      const kv = num(p, 'isl') + num(p, 'step');
      return roofMs(0, 4 * num(p, 'batch_size') * num(p, 'num_key_value_heads') * kv * num(p, 'head_dim'));
    },
    usesAllGpus: false,
  },
  moe: {
    op: 'moe',
    table: 'moe',
    keyColumns: [
      'moe_dtype',
      'num_tokens',
      'hidden_size',
      'inter_size',
      'topk',
      'num_experts',
      'moe_tp_size',
      'moe_ep_size',
      'distribution',
    ],
    opName: () => 'moe',
    kernelSource: () => 'torch_grouped_mm',
    grid: (o) => moeGrid(o.size),
    estimateKernelMs: (p) => {
      const [t, h, i, k, e] = ['num_tokens', 'hidden_size', 'inter_size', 'topk', 'num_experts'].map((c) =>
        num(p, c),
      ) as [number, number, number, number, number];
      const par = num(p, 'moe_tp_size') * num(p, 'moe_ep_size');
      return roofMs((6 * t * k * h * i) / par, (6 * h * i * Math.min(e, t * k)) / par) + 0.1;
    },
    usesAllGpus: false,
  },
  elementwise: {
    op: 'elementwise',
    table: 'elementwise',
    keyColumns: ['elementwise_dtype', 'num_tokens', 'width'],
    opName: (p) => str(p, 'op_name'),
    kernelSource: () => 'torch_eager',
    grid: (o) => elementwiseGrid(o.size),
    estimateKernelMs: (p) => roofMs(0, 6 * num(p, 'num_tokens') * num(p, 'width')),
    usesAllGpus: false,
  },
  nccl: {
    op: 'nccl',
    table: 'nccl',
    keyColumns: ['nccl_dtype', 'num_gpus', 'message_size'],
    opName: (p) => str(p, 'op_name'),
    kernelSource: () => 'nccl',
    grid: (o) => ncclGrid(o.ncclGpus.filter((g) => g >= 2)),
    estimateKernelMs: (p) => 0.02 + (num(p, 'message_size') * 2) / 150e9 / 1e-3,
    usesAllGpus: true,
  },
};

export function isCollectOp(value: string): value is CollectOp {
  return (COLLECT_OPS as readonly string[]).includes(value);
}
