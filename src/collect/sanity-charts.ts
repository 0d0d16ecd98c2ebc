// Sanity charts of collected tables: latency and % of speed-of-light per op family (SVG), so a
// human spots nonsense (a point above 100% of SOL is a measurement bug, a cliff is a kernel switch).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../common/index.js';
import type { SystemSpec } from '../hardware/index.js';
import { renderSvgChart, type SvgSeries } from '../report/index.js';
import { OP_REGISTRY, type OpSpec } from './op-registry.js';
import { type CsvRow, readTable } from './table-writer.js';

export interface SolPoint {
  /** log2 of the work measure (FLOPs or bytes) on the x axis. */
  readonly work: number;
  readonly solMs: number;
}

const num = (row: CsvRow, key: string): number => Number(row[key]);
const ELEMENTWISE_TRAFFIC: Readonly<Record<string, number>> = {
  rms_norm: 2,
  silu_mul: 3,
  add: 3,
  rope: 2,
  embedding: 2,
  kv_write: 2,
};

/** Speed-of-light of one row on `system` (roofline of FLOPs and bytes), or undefined. */
export function rowSol(spec: OpSpec, row: CsvRow, system: SystemSpec): SolPoint | undefined {
  const bw = system.gpu.mem_bandwidth_bytes_per_s;
  const flopsOf = (dtype: string): number =>
    system.gpu.tensor_flops_per_s[dtype === 'fp8' ? 'fp8' : 'bfloat16'] ??
    system.gpu.tensor_flops_per_s['bfloat16'] ??
    1e15;
  const roof = (flops: number, flopsPerS: number, bytes: number): SolPoint => ({
    work: Math.log2(Math.max(flops, bytes, 1)),
    solMs: Math.max(flops / flopsPerS, bytes / bw) * 1e3,
  });
  switch (spec.op) {
    case 'gemm': {
      const [m, n, k] = [num(row, 'm'), num(row, 'n'), num(row, 'k')];
      const el = row['gemm_dtype'] === 'fp8' ? 1 : 2;
      return roof(2 * m * n * k, flopsOf(row['gemm_dtype'] ?? ''), el * (m * k + n * k) + 2 * m * n);
    }
    case 'context_attention': {
      const [b, s, n, kv, d, w] = [
        'batch_size',
        'isl',
        'num_heads',
        'num_key_value_heads',
        'head_dim',
        'window_size',
      ].map((c) => num(row, c)) as [number, number, number, number, number, number];
      const flops = w > 0 && w < s ? 4 * b * s * w * n * d : 2 * b * s * s * n * d;
      return roof(flops, flopsOf('bfloat16'), 2 * b * (2 * n * s * d + 2 * kv * s * d));
    }
    case 'generation_attention': {
      const [b, n, nkv, d, w] = [
        'batch_size',
        'num_heads',
        'num_key_value_heads',
        'head_dim',
        'window_size',
      ].map((c) => num(row, c)) as [number, number, number, number, number];
      let kv = num(row, 'isl') + num(row, 'step');
      if (w > 0) kv = Math.min(kv, w);
      return roof(4 * b * n * d * kv, flopsOf('bfloat16'), b * (4 * n * d + 2 * nkv * kv * d * 2));
    }
    case 'moe': {
      const [t, h, i, k, e, tp, ep] = [
        'num_tokens',
        'hidden_size',
        'inter_size',
        'topk',
        'num_experts',
        'moe_tp_size',
        'moe_ep_size',
      ].map((c) => num(row, c)) as [number, number, number, number, number, number, number];
      const flops = (6 * t * k * h * i) / (tp * ep);
      const bytes =
        2 * (3 * t * k * h + (3 * t * k * i) / tp) + (2 * 3 * h * i * Math.min(e / ep, t * k)) / tp;
      return roof(flops, flopsOf('bfloat16'), bytes);
    }
    case 'elementwise': {
      const traffic = ELEMENTWISE_TRAFFIC[row['op_name'] ?? ''] ?? 2;
      return roof(0, 1, traffic * num(row, 'num_tokens') * num(row, 'width') * 2);
    }
    case 'nccl': {
      const g = num(row, 'num_gpus');
      const el = row['nccl_dtype'] === 'int8' ? 1 : row['nccl_dtype'] === 'float32' ? 4 : 2;
      const bytes = num(row, 'message_size') * el;
      const factor = row['op_name'] === 'all_reduce' ? 2 : 1;
      const link = system.node.intra_node_bandwidth_bytes_per_s;
      return { work: Math.log2(Math.max(bytes, 1)), solMs: ((factor * bytes * (g - 1)) / g / link) * 1e3 };
    }
  }
}

function seriesKey(spec: OpSpec, row: CsvRow): string {
  switch (spec.op) {
    case 'gemm':
      return row['gemm_dtype'] ?? '';
    case 'moe':
      return row['distribution'] ?? '';
    case 'elementwise':
    case 'nccl':
      return `${row['op_name']}${spec.op === 'nccl' ? ` ${row['nccl_dtype']}` : ''}`;
    default:
      return Number(row['window_size']) > 0 ? 'sliding window' : `head_dim ${row['head_dim']}`;
  }
}

export interface ChartReport {
  readonly table: string;
  readonly rows: number;
  readonly files: readonly string[];
  /** Rows measured faster than speed of light (a measurement bug, or a SOL model too strict). */
  readonly aboveSol: number;
  readonly medianSolPct: number;
}

/** Write `<dir>/charts/<table>_latency.svg` and `_sol.svg` for every table in dir. */
export function writeSanityCharts(dir: string, system: SystemSpec): ChartReport[] {
  const reports: ChartReport[] = [];
  const specs = Object.values(OP_REGISTRY);
  for (const file of readdirSync(dir).sort()) {
    const spec = specs.find((s) => `${s.table}_perf.txt` === file);
    if (!spec) continue;
    const rows = readTable(join(dir, file));
    const latency = new Map<string, { x: number; y: number }[]>();
    const sol = new Map<string, { x: number; y: number }[]>();
    const pcts: number[] = [];
    let aboveSol = 0;
    for (const row of rows) {
      const point = rowSol(spec, row, system);
      const ms = Number(row['latency']);
      if (!point || !(ms > 0)) continue;
      const key = seriesKey(spec, row);
      const pct = (100 * point.solMs) / ms;
      pcts.push(pct);
      if (pct > 100) aboveSol++;
      latency.set(key, [...(latency.get(key) ?? []), { x: point.work, y: Math.log10(ms) }]);
      sol.set(key, [...(sol.get(key) ?? []), { x: point.work, y: pct }]);
    }
    const toSeries = (m: Map<string, { x: number; y: number }[]>): SvgSeries[] =>
      [...m].slice(0, 8).map(([name, points]) => ({ name, points, style: 'points' as const }));
    const xLabel = ['gemm', 'context_attention', 'moe'].includes(spec.op)
      ? 'log2 FLOPs (or bytes when memory-bound)'
      : 'log2 bytes moved';
    const latencyPath = join(dir, 'charts', `${spec.table}_latency.svg`);
    const solPath = join(dir, 'charts', `${spec.table}_sol.svg`);
    writeFileAtomicSync(
      latencyPath,
      renderSvgChart({
        title: `${spec.table}: measured latency`,
        subtitle: `${rows.length} rows, ${system.name}`,
        xLabel,
        yLabel: 'log10 latency (ms)',
        series: toSeries(latency),
      }),
    );
    writeFileAtomicSync(
      solPath,
      renderSvgChart({
        title: `${spec.table}: % of speed of light`,
        subtitle: `${aboveSol} of ${rows.length} rows above 100%`,
        xLabel,
        yLabel: '% of SOL',
        series: toSeries(sol),
      }),
    );
    pcts.sort((a, b) => a - b);
    reports.push({
      table: spec.table,
      rows: rows.length,
      files: [latencyPath, solPath],
      aboveSol,
      medianSolPct: Number((pcts[Math.floor(pcts.length / 2)] ?? 0).toFixed(1)),
    });
  }
  return reports;
}
