// A small but complete perf-data tree (legacy CSV layout) covering Llama-3.1-8B at TP 1/2 on
// h200_sxm with backend `vllm` 0.1.0: every table the engine asks for, latencies from simple
// roofline-like formulas. Written by the tests that need real files behind the CLI.
import { join } from 'node:path';
import { type Row, tempDir, writeCsv } from '../perfdb/perf-fixtures.js';

/** Columns every row of one backend's tables starts with. */
interface Prefix {
  readonly framework: string;
  readonly version: string;
  readonly device: string;
}
const PEAK_FLOPS = 700e12;
const BANDWIDTH = 4e12;

function roofMs(flops: number, bytes: number, floorMs = 0.006): number {
  return floorMs + Math.max(flops / PEAK_FLOPS, bytes / BANDWIDTH) * 1e3;
}

const POW2 = (from: number, to: number): number[] => {
  const out: number[] = [];
  for (let v = from; v <= to; v *= 2) out.push(v);
  return out;
};

function gemm(prefix: Prefix): Row[] {
  const rows: Row[] = [];
  const nk = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
  for (const dtype of ['bfloat16', 'fp8'])
    for (const n of nk)
      for (const k of nk.slice(0, 6))
        for (const m of POW2(1, 16384)) {
          const bytes = dtype === 'fp8' ? 1 : 2;
          rows.push({
            ...prefix,
            op_name: 'gemm',
            kernel_source: 'fixture',
            gemm_dtype: dtype,
            m,
            n,
            k,
            latency: roofMs((2 * m * n * k) / bytes, (m * k + n * k + m * n) * bytes),
          });
        }
  return rows;
}

function contextAttention(prefix: Prefix): Row[] {
  const rows: Row[] = [];
  for (const [heads, kvHeads] of [
    [32, 8],
    [16, 4],
  ])
    for (const b of [1, 2, 4, 8, 16])
      for (const isl of POW2(16, 16384))
        rows.push({
          ...prefix,
          op_name: 'context_attention',
          kernel_source: 'fixture',
          batch_size: b,
          isl,
          num_heads: heads!,
          num_key_value_heads: kvHeads!,
          head_dim: 128,
          window_size: 0,
          beam_width: 1,
          attn_dtype: 'bfloat16',
          kv_cache_dtype: 'bfloat16',
          step: 0,
          latency: roofMs(2 * b * isl * isl * heads! * 128, 4 * b * isl * heads! * 128),
        });
  return rows;
}

function generationAttention(prefix: Prefix): Row[] {
  const rows: Row[] = [];
  for (const [heads, kvHeads] of [
    [32, 8],
    [16, 4],
  ])
    for (const b of POW2(1, 512))
      for (const kv of POW2(16, 32768))
        rows.push({
          ...prefix,
          op_name: 'generation_attention',
          kernel_source: 'fixture',
          batch_size: b,
          isl: 1,
          num_heads: heads!,
          num_key_value_heads: kvHeads!,
          head_dim: 128,
          window_size: 0,
          beam_width: 1,
          attn_dtype: 'bfloat16',
          kv_cache_dtype: 'bfloat16',
          step: kv - 1,
          latency: roofMs(4 * b * heads! * 128 * kv, 2 * b * kvHeads! * 128 * kv * 2),
        });
  return rows;
}

function elementwise(prefix: Prefix): Row[] {
  const rows: Row[] = [];
  for (const op of ['rms_norm', 'silu_mul', 'add', 'rope', 'embedding', 'kv_write'])
    for (const width of [512, 1024, 2048, 4096, 8192, 16384, 32768])
      for (const tokens of POW2(1, 65536))
        rows.push({
          ...prefix,
          op_name: op,
          kernel_source: 'fixture',
          elementwise_dtype: 'bfloat16',
          num_tokens: tokens,
          width,
          latency: roofMs(0, 4 * tokens * width, 0.003),
        });
  return rows;
}

function nccl(): Row[] {
  const rows: Row[] = [];
  for (const op of ['all_reduce', 'all_gather', 'reduce_scatter', 'alltoall'])
    for (const gpus of [2, 4, 8])
      for (const size of POW2(256, 2 ** 28))
        rows.push({
          framework: 'nccl',
          version: '2.27.0',
          device: 'NVIDIA H200',
          op_name: op,
          kernel_source: 'fixture',
          nccl_dtype: 'bfloat16',
          num_gpus: gpus,
          message_size: size,
          latency: 0.012 + ((size * 2 * (op === 'all_reduce' ? 2 : 1) * (gpus - 1)) / gpus / 350e9) * 1e3,
        });
  return rows;
}

/** Writes the tree (for `backend` 0.1.0) and returns its root (pass as --perf-data). */
export function writeServingPerfData(root = tempDir('inferplan-perf-'), backend = 'vllm'): string {
  const prefix: Prefix = { framework: backend, version: '0.1.0', device: 'NVIDIA H200' };
  const base = join(root, 'h200_sxm', backend, '0.1.0');
  writeCsv(join(base, 'gemm_perf.txt'), gemm(prefix));
  writeCsv(join(base, 'context_attention_perf.txt'), contextAttention(prefix));
  writeCsv(join(base, 'generation_attention_perf.txt'), generationAttention(prefix));
  writeCsv(join(base, 'elementwise_perf.txt'), elementwise(prefix));
  writeCsv(join(root, 'h200_sxm', 'nccl', '2.27.0', 'nccl_perf.txt'), nccl());
  return root;
}

/** The flags that point a predicting command at Llama 3.1 8B on the fixture tree at `root`. */
export function llamaFixtureFlags(root: string): string[] {
  return [
    '--model',
    'meta-llama/Llama-3.1-8B',
    '--system',
    'h200_sxm',
    '--backend',
    'vllm',
    '--perf-data',
    root,
  ];
}
