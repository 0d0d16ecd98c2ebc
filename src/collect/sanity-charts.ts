// Sanity charts of collected tables: latency and % of speed-of-light per op family (SVG), so a
// human spots nonsense (a point above 100% of SOL is a measurement bug, a cliff is a kernel switch).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../common/index.js';
import type { SystemSpec } from '../hardware/index.js';
import {
  type CommOp,
  ELEMENTWISE_OPS,
  type ElementwiseOp,
  elementwiseTraffic,
  SolModel,
  tableDtypeBytes,
} from '../perfdb/index.js';
import { renderSvgChart, type SvgSeries } from '../report/index.js';
import { OP_REGISTRY, type OpSpec } from './op-registry.js';
import { type CsvRow, readTable } from './table-writer.js';

export interface SolPoint {
  /** log2 of the work measure (FLOPs or bytes) on the x axis. */
  readonly work: number;
  readonly solMs: number;
}

const num = (row: CsvRow, key: string): number => Number(row[key]);
const log2Work = (flops: number, bytes: number): number => Math.log2(Math.max(flops, bytes, 1));

/**
 * Speed-of-light of one row (the perf database's SolModel, with the columns its quality gate
 * reads, so the charts' "above SOL" count agrees with `db validate`), and the row's work for the
 * x axis (computed here: SolModel gives only the latency).
 */
export function rowSol(spec: OpSpec, row: CsvRow, sol: SolModel): SolPoint | undefined {
  switch (spec.op) {
    case 'gemm': {
      const [m, n, k] = [num(row, 'm'), num(row, 'n'), num(row, 'k')];
      const dtype = row['gemm_dtype'] ?? '';
      const el = tableDtypeBytes(dtype);
      return {
        work: log2Work(2 * m * n * k, el * (m * k + n * k + m * n)),
        solMs: sol.gemm(m, n, k, sol.flops(dtype), el),
      };
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
      const kvHeads = kv || n;
      const attn = row['attn_dtype'] ?? '';
      const qb = tableDtypeBytes(attn);
      const kb = tableDtypeBytes(row['kv_cache_dtype'] ?? '');
      const flops = w > 0 && w < s ? 4 * b * s * w * n * d : 2 * b * s * s * n * d;
      return {
        work: log2Work(flops, b * (2 * n * s * d * qb + 2 * kvHeads * s * d * kb)),
        solMs: sol.contextAttention(b, s, 0, n, kvHeads, d, w, sol.flops(attn), qb, kb),
      };
    }
    case 'generation_attention': {
      const [b, n, nkv, d, w] = [
        'batch_size',
        'num_heads',
        'num_key_value_heads',
        'head_dim',
        'window_size',
      ].map((c) => num(row, c)) as [number, number, number, number, number];
      const kvHeads = nkv || n;
      const kvLen = num(row, 'isl') + num(row, 'step');
      const kb = tableDtypeBytes(row['kv_cache_dtype'] ?? '');
      const kv = w > 0 ? Math.min(kvLen, w) : kvLen;
      return {
        work: log2Work(4 * b * n * d * kv, b * (4 * n * d + 2 * kvHeads * kv * d * kb)),
        solMs: sol.generationAttention(b, kvLen, n, kvHeads, d, w, sol.flops('bfloat16'), kb),
      };
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
      const dtype = row['moe_dtype'] ?? '';
      const el = tableDtypeBytes(dtype);
      const flops = (6 * t * k * h * i) / (tp * ep);
      const bytes =
        2 * (3 * t * k * h + (3 * t * k * i) / tp) + (el * 3 * h * i * Math.min(e / ep, t * k)) / tp;
      return {
        work: log2Work(flops, bytes),
        solMs: sol.moe(t, h, i, k, e, tp, ep, sol.flops(dtype), el),
      };
    }
    case 'elementwise': {
      const op = row['op_name'] as ElementwiseOp;
      if (!(ELEMENTWISE_OPS as readonly string[]).includes(op)) return undefined;
      const [t, width] = [num(row, 'num_tokens'), num(row, 'width')];
      const el = tableDtypeBytes(row['elementwise_dtype'] ?? '');
      return {
        work: log2Work(0, elementwiseTraffic(op) * t * width * el),
        solMs: sol.elementwise(op, t, width, el),
      };
    }
    case 'nccl': {
      const op = row['op_name'] as CommOp;
      const bytes = num(row, 'message_size') * tableDtypeBytes(row['nccl_dtype'] ?? '');
      return { work: log2Work(0, bytes), solMs: sol.comm(op, num(row, 'num_gpus'), bytes) };
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
  const solModel = new SolModel(system);
  for (const file of readdirSync(dir).sort()) {
    const spec = specs.find((s) => `${s.table}_perf.txt` === file);
    if (!spec) continue;
    const rows = readTable(join(dir, file));
    const latency = new Map<string, { x: number; y: number }[]>();
    const sol = new Map<string, { x: number; y: number }[]>();
    const pcts: number[] = [];
    let aboveSol = 0;
    for (const row of rows) {
      const point = rowSol(spec, row, solModel);
      const ms = Number(row['latency']);
      if (!point || !(ms > 0)) continue;
      const key = seriesKey(spec, row);
      const pct = (100 * point.solMs) / ms;
      pcts.push(pct);
      if (pct > 100) aboveSol++;
      let latencyPoints = latency.get(key);
      let solPoints = sol.get(key);
      if (!latencyPoints || !solPoints) {
        latencyPoints = [];
        solPoints = [];
        latency.set(key, latencyPoints);
        sol.set(key, solPoints);
      }
      latencyPoints.push({ x: point.work, y: Math.log10(ms) });
      solPoints.push({ x: point.work, y: pct });
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
