// Leave-one-out accuracy of perf database interpolation on real tables:
//   npm run bench -- perfdb-accuracy --perf-data DIR [--system S] [--backend B] [--seed N] [--blend MODE]
// Holds out a seeded random sample of rows (and, for GEMM, whole (n, k) sites), predicts each from
// the rest through the public query path, and prints median / p90 absolute % error per table.

import { type Dtype, seededRandom } from '../src/common/index.js';
import { SystemRegistry } from '../src/hardware/index.js';
import type { AxisConfig, BlendMode } from '../src/perfdb/axis-tree.js';
import { loadTableFile } from '../src/perfdb/file-loaders.js';
import { MOE_DISTRIBUTIONS, type MoeDistribution, type OpQuery } from '../src/perfdb/index.js';
import { scanPerfData } from '../src/perfdb/perf-data-catalog.js';
import { filterRows, type PerfTable, stringAt } from '../src/perfdb/perf-table.js';
import { canonicalDtype } from '../src/perfdb/speed-of-light.js';
import { TableDatabase } from '../src/perfdb/table-database.js';
import { buildTableIndex, INDEX_SPECS } from '../src/perfdb/table-index.js';
import type { TableName } from '../src/perfdb/table-schemas.js';
import { newestVersion } from '../src/perfdb/version-order.js';
import { renderTable } from '../src/report/index.js';
import { optionValue } from './bench-options.js';

const TARGETS: Partial<Record<TableName, string>> = {
  gemm: '4.9% / 15.6%',
  context_attention: '2.0% / 9.7%',
  generation_attention: '1.1% median',
  context_mla: '2.2% / 10%',
};

const str = (t: PerfTable, c: string, r: number) => stringAt(t, c, r)!;
const num = (t: PerfTable, c: string, r: number) => t.numbers.get(c)![r]!;

/**
 * The op query a row measured, per table the query API can express (undefined for a row it cannot:
 * MoE distributions it does not model). The tables it lists are the ones the benchmark reads.
 */
const ROW_QUERIES: Partial<Record<TableName, (t: PerfTable, r: number) => OpQuery | undefined>> = {
  gemm: (t, r) => ({
    kind: 'gemm',
    dtype: str(t, 'gemm_dtype', r) as Dtype,
    m: num(t, 'm', r),
    n: num(t, 'n', r),
    k: num(t, 'k', r),
  }),
  context_attention: (t, r) => ({
    kind: 'context_attention',
    batchSize: num(t, 'batch_size', r),
    isl: num(t, 'isl', r),
    prefix: 0,
    numHeads: num(t, 'num_heads', r),
    numKvHeads: num(t, 'num_key_value_heads', r),
    headDim: num(t, 'head_dim', r),
    windowSize: num(t, 'window_size', r),
    attnDtype: str(t, 'attn_dtype', r) as Dtype,
    kvCacheDtype: str(t, 'kv_cache_dtype', r) as Dtype,
  }),
  generation_attention: (t, r) => ({
    kind: 'generation_attention',
    batchSize: num(t, 'batch_size', r),
    kvLen: num(t, 'isl', r) + num(t, 'step', r),
    numHeads: num(t, 'num_heads', r),
    numKvHeads: num(t, 'num_key_value_heads', r),
    headDim: num(t, 'head_dim', r),
    windowSize: num(t, 'window_size', r),
    kvCacheDtype: str(t, 'kv_cache_dtype', r) as Dtype,
  }),
  context_mla: (t, r) => ({
    kind: 'context_mla',
    batchSize: num(t, 'batch_size', r),
    isl: num(t, 'isl', r),
    prefix: 0,
    numHeads: num(t, 'num_heads', r),
    mlaDtype: str(t, 'mla_dtype', r) as Dtype,
    kvCacheDtype: str(t, 'kv_cache_dtype', r) as Dtype,
  }),
  generation_mla: (t, r) => ({
    kind: 'generation_mla',
    batchSize: num(t, 'batch_size', r),
    kvLen: num(t, 'isl', r) + num(t, 'step', r),
    numHeads: num(t, 'num_heads', r),
    kvCacheDtype: str(t, 'kv_cache_dtype', r) as Dtype,
  }),
  mla_bmm: (t, r) => ({
    kind: 'mla_bmm',
    phase: str(t, 'op_name', r) === 'mla_gen_pre' ? 'pre' : 'post',
    dtype: str(t, 'bmm_dtype', r) as Dtype,
    numTokens: num(t, 'num_tokens', r),
    numHeads: num(t, 'num_heads', r),
  }),
  moe: (t, r) => {
    const distribution = str(t, 'distribution', r) as MoeDistribution;
    if (!MOE_DISTRIBUTIONS.includes(distribution)) return undefined;
    return {
      kind: 'moe',
      dtype: str(t, 'moe_dtype', r) as Dtype,
      numTokens: num(t, 'num_tokens', r),
      hiddenSize: num(t, 'hidden_size', r),
      interSize: num(t, 'inter_size', r),
      topk: num(t, 'topk', r),
      numExperts: num(t, 'num_experts', r),
      moeTp: num(t, 'moe_tp_size', r),
      moeEp: num(t, 'moe_ep_size', r),
      distribution,
    };
  },
  nccl: (t, r) => {
    const dtype = str(t, 'nccl_dtype', r);
    return {
      kind: 'comm',
      op: str(t, 'op_name', r) as 'all_gather',
      dtype: (canonicalDtype(dtype) ?? dtype) as Dtype,
      numGpus: num(t, 'num_gpus', r),
      messageElements: num(t, 'message_size', r),
    };
  },
};

const queryOfRow = (t: PerfTable, r: number): OpQuery | undefined => ROW_QUERIES[t.schema.name]?.(t, r);

const quantile = (sorted: number[], q: number) =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))]!
    : Number.NaN;

interface Errors {
  rows: number[];
  sites: number[];
  /** Held-out rows predicted from inside the data (interpolated), i.e. not at the data's edge. */
  interior: number[];
  offPairs: number[];
}

/** Predict held-out rows of one table; returns absolute % errors. */
function leaveOut(
  table: PerfTable,
  held: Uint8Array,
  db: (index: ReturnType<typeof buildTableIndex>) => TableDatabase,
  axes: readonly AxisConfig[] | undefined,
  interior?: number[],
  offPairs?: number[],
): number[] {
  // GEMM m grids sample tile boundaries as pairs (16/17, 32/33, ...): note rows outside such pairs.
  const mValues = table.schema.name === 'gemm' ? new Set(table.numbers.get('m')) : undefined;
  const keep = held.map((h) => (h ? 0 : 1));
  const rest = filterRows(table, keep);
  const database = db(buildTableIndex(rest, axes));
  const errors: number[] = [];
  const latency = table.numbers.get('latency')!;
  for (let r = 0; r < table.rowCount; r++) {
    if (!held[r]) continue;
    const q = queryOfRow(table, r);
    const actual = latency[r]!;
    if (!q || !(actual > 0)) continue;
    if (table.schema.name === 'nccl' && q.kind === 'comm' && q.numGpus <= 1) continue;
    try {
      const result = database.query(q);
      const error = (100 * Math.abs(result.latencyMs - actual)) / actual;
      errors.push(error);
      if (!result.source.includes('util-hold')) interior?.push(error);
      if (mValues && q.kind === 'gemm' && !mValues.has(q.m - 1) && !mValues.has(q.m + 1))
        offPairs?.push(error);
      if (
        process.env['PERFDB_WORST'] &&
        error > Number(process.env['PERFDB_WORST']) &&
        table.schema.name === process.env['PERFDB_TABLE']
      )
        process.stderr.write(
          `${error.toFixed(0)}% actual ${actual.toPrecision(4)} got ${result.latencyMs.toPrecision(4)} ${result.source}\n`,
        );
    } catch {
      // No usable neighbour after holding out: counted separately as a miss.
      errors.push(Number.NaN);
    }
  }
  return errors;
}

export async function run(args: string[]): Promise<void> {
  const dir = optionValue(args, '--perf-data');
  if (!dir) {
    process.stderr.write(
      'usage: npm run bench -- perfdb-accuracy --perf-data DIR [--system S] [--backend B] [--seed N]\n',
    );
    process.exit(2);
  }
  const seed = Number(optionValue(args, '--seed') ?? 1);
  const onlySystem = optionValue(args, '--system');
  const onlyBackend = optionValue(args, '--backend');
  const blend = optionValue(args, '--blend') as BlendMode | undefined;
  const sampleFraction = Number(optionValue(args, '--fraction') ?? 0.02);
  const registry = new SystemRegistry();
  const catalog = scanPerfData(dir);
  const perTable = new Map<TableName, Errors>();
  const t0 = performance.now();
  for (const [system, backends] of catalog.systems) {
    if (onlySystem && system !== onlySystem) continue;
    const spec = registry.get(system);
    for (const [backend, versions] of backends) {
      if (onlyBackend && backend !== onlyBackend) continue;
      const version = newestVersion(versions.keys())!;
      for (const ref of versions.get(version)!.values()) {
        if (!ROW_QUERIES[ref.table]) continue;
        const table = await loadTableFile(ref.file, ref.table, ref.format);
        const random = seededRandom(seed + table.rowCount);
        const axes = blend
          ? INDEX_SPECS[ref.table].axes.map((a, i, all) => ({
              ...a,
              blend: blend === 'sqrt' && i < all.length - 1 ? ('linear' as const) : blend,
            }))
          : undefined;
        const mkDb = (index: ReturnType<typeof buildTableIndex>) =>
          new TableDatabase(spec, backend, version, 'silicon', new Map([[ref.table, index]]), {
            smoothGenerationKv: !args.includes('--no-smooth'),
          });
        const errors = perTable.get(ref.table) ?? { rows: [], sites: [], interior: [], offPairs: [] };
        perTable.set(ref.table, errors);
        const sample = Math.min(400, Math.max(20, Math.round(table.rowCount * sampleFraction)));
        const held = new Uint8Array(table.rowCount);
        for (let i = 0; i < sample; i++) held[Math.floor(random() * table.rowCount)] = 1;
        errors.rows.push(...leaveOut(table, held, mkDb, axes, errors.interior, errors.offPairs));
        if (ref.table === 'gemm') {
          // Whole (n, k) sites: every m of 12 random sites per file.
          const n = table.numbers.get('n')!;
          const k = table.numbers.get('k')!;
          const sites = [...new Set(Array.from(n, (v, i) => `${v},${k[i]}`))];
          for (let s = 0; s < 12; s++) {
            const site = sites[Math.floor(random() * sites.length)]!;
            const siteHeld = new Uint8Array(table.rowCount);
            for (let i = 0; i < table.rowCount; i++) if (`${n[i]},${k[i]}` === site) siteHeld[i] = 1;
            errors.sites.push(...leaveOut(table, siteHeld, mkDb, axes));
          }
        }
      }
    }
  }
  const rows: string[][] = [];
  const fmt = (x: number) => (Number.isNaN(x) ? '-' : `${x.toFixed(1)}%`);
  for (const [table, errors] of [...perTable].sort((a, b) => a[0].localeCompare(b[0]))) {
    for (const [label, list] of [
      ['rows', errors.rows],
      ['rows bracketed on every axis', errors.interior],
      ['rows off m tile-boundary pairs', errors.offPairs],
      ['(n,k) sites', errors.sites],
    ] as const) {
      if (list.length === 0) continue;
      const ok = list.filter((e) => !Number.isNaN(e)).sort((a, b) => a - b);
      rows.push([
        table,
        label,
        String(list.length),
        String(list.length - ok.length),
        fmt(quantile(ok, 0.5)),
        fmt(quantile(ok, 0.9)),
        fmt(ok.length ? ok[ok.length - 1]! : Number.NaN),
        label !== '(n,k) sites' ? (TARGETS[table] ?? '') : '4.9% / 15.6%',
      ]);
    }
  }
  process.stdout.write(
    renderTable(
      [
        'table',
        'held out',
        'points',
        'misses',
        'median abs err',
        'p90 abs err',
        'max',
        'target (median / p90)',
      ],
      rows,
    ),
  );
  process.stdout.write(
    `seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(1)} s${blend ? `, blend ${blend}` : ''}\n`,
  );
}
