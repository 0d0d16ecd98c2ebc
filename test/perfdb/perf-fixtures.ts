// Synthetic perf tables written by the tests themselves: CSV (legacy layout) and parquet (current
// layout). Latencies follow a simple "overhead + work / throughput" law so interpolation has a truth.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

export type Row = Record<string, string | number>;

export function tempDir(prefix = 'inferplan-perfdb-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** GEMM latency law for fixtures (ms): 5 us + work at 600 TFLOP/s or bytes at 3 TB/s. */
export function gemmLatencyMs(m: number, n: number, k: number, bytesPerEl = 2): number {
  const compute = (2 * m * n * k) / 600e12;
  const memory = (bytesPerEl * (m * k + n * k + m * n)) / 3e12;
  return 0.005 + Math.max(compute, memory) * 1e3;
}

export const GEMM_M = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
export const GEMM_NK = [1024, 2048, 4096, 8192];

export function gemmRows(
  framework = 'vllm',
  version = '0.9.0',
  dtypes: readonly string[] = ['bfloat16', 'fp8'],
): Row[] {
  const rows: Row[] = [];
  for (const dtype of dtypes)
    for (const n of GEMM_NK)
      for (const k of GEMM_NK)
        for (const m of GEMM_M)
          rows.push({
            framework,
            version,
            device: 'NVIDIA H200',
            op_name: 'gemm',
            kernel_source: 'torch',
            gemm_dtype: dtype,
            m,
            n,
            k,
            latency: gemmLatencyMs(m, n, k, dtype === 'fp8' ? 1 : 2),
          });
  return rows;
}

export function contextAttentionRows(framework = 'vllm', version = '0.9.0', withWindow = true): Row[] {
  const rows: Row[] = [];
  for (const b of [1, 2, 4, 8])
    for (const isl of [128, 256, 512, 1024, 2048, 4096])
      for (const heads of [8, 16, 32])
        rows.push({
          framework,
          version,
          device: 'NVIDIA H200',
          op_name: 'context_attention',
          kernel_source: 'flash',
          batch_size: b,
          isl,
          num_heads: heads,
          num_key_value_heads: 8,
          head_dim: 128,
          ...(withWindow ? { window_size: 0 } : {}),
          beam_width: 1,
          attn_dtype: 'bfloat16',
          kv_cache_dtype: 'bfloat16',
          step: 0,
          latency: 0.01 + ((b * isl * isl * heads * 128 * 2) / 400e12) * 1e3,
        });
  return rows;
}

export function generationAttentionRows(framework = 'vllm', version = '0.9.0'): Row[] {
  const rows: Row[] = [];
  for (const b of [1, 4, 16, 64])
    for (const kv of [128, 512, 2048, 8192])
      rows.push({
        framework,
        version,
        device: 'NVIDIA H200',
        op_name: 'generation_attention',
        kernel_source: 'flash',
        batch_size: b,
        isl: 1,
        num_heads: 32,
        num_key_value_heads: 8,
        head_dim: 128,
        window_size: 0,
        beam_width: 1,
        attn_dtype: 'bfloat16',
        kv_cache_dtype: 'bfloat16',
        step: kv - 1,
        latency: 0.008 + ((b * 2 * 8 * kv * 128 * 2) / 3e12) * 1e3,
      });
  return rows;
}

export function ncclRows(version = '2.21.5'): Row[] {
  const rows: Row[] = [];
  for (const op of ['all_reduce', 'all_gather'])
    for (const gpus of [2, 4, 8])
      for (let size = 1024; size <= 2 ** 24; size *= 4)
        rows.push({
          framework: 'nccl',
          version,
          device: 'NVIDIA H200',
          op_name: op,
          kernel_source: 'NCCL',
          nccl_dtype: 'half',
          num_gpus: gpus,
          message_size: size,
          latency: 0.01 + ((size * 2 * (op === 'all_reduce' ? 2 : 1)) / 300e9) * 1e3,
        });
  return rows;
}

/** The expert layout and routing of a fixture MoE table (one group). */
export interface MoeLayout {
  readonly moe_dtype: string;
  readonly hidden_size: number;
  readonly inter_size: number;
  readonly topk: number;
  readonly num_experts: number;
  readonly distribution: string;
}

/** MoE rows (SGLang 0.5.0 on H200, tp = ep = 1) of one layout at each token count. */
export function moeRows(
  tokens: readonly number[],
  layout: MoeLayout,
  latencyMs: (tokens: number) => number,
): Row[] {
  return tokens.map((t) => ({
    framework: 'SGLang',
    version: '0.5.0',
    device: 'NVIDIA H200',
    op_name: 'moe',
    kernel_source: 'triton',
    moe_dtype: layout.moe_dtype,
    num_tokens: t,
    hidden_size: layout.hidden_size,
    inter_size: layout.inter_size,
    topk: layout.topk,
    num_experts: layout.num_experts,
    moe_tp_size: 1,
    moe_ep_size: 1,
    distribution: layout.distribution,
    latency: latencyMs(t),
  }));
}

export function toCsv(rows: readonly Row[], columns = Object.keys(rows[0]!)): string {
  return `${columns.join(',')}\n${rows.map((r) => columns.map((c) => String(r[c] ?? '')).join(',')).join('\n')}\n`;
}

export function writeCsv(file: string, rows: readonly Row[], columns?: string[]): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, toCsv(rows, columns));
}

export function writeParquet(file: string, rows: readonly Row[], columns = Object.keys(rows[0]!)): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const columnData = columns.map((name) => {
    const values = rows.map((r) => r[name]!);
    if (typeof values[0] === 'string') return { name, data: values as string[], type: 'STRING' as const };
    const isInt = name !== 'latency' && name !== 'power' && name !== 'power_limit';
    return isInt
      ? { name, data: BigInt64Array.from(values as number[], (v) => BigInt(v)), type: 'INT64' as const }
      : { name, data: Float64Array.from(values as number[]), type: 'DOUBLE' as const };
  });
  writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData })));
}

/** A legacy-layout CSV tree: h200_sxm/vllm/0.9.0 (+ 0.10.0 gemm only), nccl/2.21.5. */
export function writeLegacyCsvTree(root: string): void {
  const base = join(root, 'h200_sxm', 'vllm', '0.9.0');
  writeCsv(join(base, 'gemm_perf.txt'), gemmRows());
  writeCsv(join(base, 'context_attention_perf.txt'), contextAttentionRows());
  writeCsv(join(base, 'generation_attention_perf.txt'), generationAttentionRows());
  writeCsv(
    join(root, 'h200_sxm', 'vllm', '0.10.0', 'gemm_perf.txt'),
    gemmRows('vllm', '0.10.0', ['bfloat16']),
  );
  writeCsv(join(root, 'h200_sxm', 'nccl', '2.21.5', 'nccl_perf.txt'), ncclRows());
}

/** The same data as parquet in the current layout (families; nccl under comm/nccl). */
export function writeCurrentParquetTree(root: string): void {
  const sys = join(root, 'h200_sxm');
  writeParquet(join(sys, 'gemm', 'vllm', '0.9.0', 'gemm_perf.parquet'), gemmRows());
  // Column order differs by backend in real data: put step before batch_size here.
  const ctx = contextAttentionRows();
  const ctxColumns = [
    'framework',
    'version',
    'device',
    'op_name',
    'kernel_source',
    'step',
    ...Object.keys(ctx[0]!)
      .slice(5)
      .filter((c) => c !== 'step'),
  ];
  writeParquet(join(sys, 'attention', 'vllm', '0.9.0', 'context_attention_perf.parquet'), ctx, ctxColumns);
  writeParquet(
    join(sys, 'attention', 'vllm', '0.9.0', 'generation_attention_perf.parquet'),
    generationAttentionRows(),
  );
  writeParquet(
    join(sys, 'gemm', 'vllm', '0.10.0', 'gemm_perf.parquet'),
    gemmRows('vllm', '0.10.0', ['bfloat16']),
  );
  writeParquet(join(sys, 'comm', 'nccl', '2.21.5', 'nccl_perf.parquet'), ncclRows());
}
