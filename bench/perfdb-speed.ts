// Load and query speed of the perf database:
//   npm run bench -- perfdb-speed --perf-data DIR [--system S] [--backend B] [--version V] [--queries N]
// Loads every table of one system + backend version from the source folder (parquet / CSV) and from
// our embedded format after an import into a temporary folder, then runs random interpolated GEMM
// queries. Prints figures with their targets; exits 0.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Dtype, seededRandom } from '../src/common/index.js';
import { SystemRegistry } from '../src/hardware/index.js';
import {
  exportPerfDataCsv,
  importPerfData,
  openPerfDatabase,
  resolvePerfVersion,
  scanPerfData,
} from '../src/perfdb/index.js';
import { renderTable } from '../src/report/index.js';
import { optionValue } from './bench-options.js';

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

interface ChildFigures {
  loadMs: number;
  rows: number;
  queryMs: number;
  checksum: number;
  rssMb: number;
}

/** In a fresh process (so RSS and load time are the database's own): load, then query. */
async function child(args: string[]): Promise<void> {
  const perfDataDir = optionValue(args, '--child')!;
  const system = new SystemRegistry().get(optionValue(args, '--system')!);
  const backend = optionValue(args, '--backend')!;
  const version = optionValue(args, '--version')!;
  const queries = Number(optionValue(args, '--queries', '0'));
  const t0 = performance.now();
  const db = await openPerfDatabase({ system, backend, version, perfDataDir, mode: 'silicon' });
  const loadMs = performance.now() - t0;
  let rows = 0;
  for (const index of db.indexes.values()) rows += index.table.rowCount;
  // Random off-grid GEMM shapes, log-uniform; generated up front so the loop only queries.
  const dtypes: Dtype[] = ['bfloat16', 'fp8'];
  const random = seededRandom(12345);
  const shapes = new Float64Array(queries * 3);
  for (let i = 0; i < queries; i++) {
    shapes[3 * i] = Math.round(2 ** (random() * 14));
    shapes[3 * i + 1] = Math.round(2 ** (8 + random() * 8));
    shapes[3 * i + 2] = Math.round(2 ** (8 + random() * 8));
  }
  const t1 = performance.now();
  let checksum = 0;
  for (let i = 0; i < queries; i++) {
    checksum += db.query({
      kind: 'gemm',
      dtype: dtypes[i & 1]!,
      m: shapes[3 * i]!,
      n: shapes[3 * i + 1]!,
      k: shapes[3 * i + 2]!,
    }).latencyMs;
  }
  const queryMs = performance.now() - t1;
  const figures: ChildFigures = {
    loadMs,
    rows,
    queryMs,
    checksum,
    rssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function measure(
  dir: string,
  system: string,
  backend: string,
  version: string,
  queries: number,
  cacheDir?: string,
): ChildFigures {
  // Formats are compared as decoded; the table cache is measured on its own row.
  const env = cacheDir
    ? { ...process.env, INFERPLAN_CACHE: 'on', INFERPLAN_CACHE_DIR: cacheDir }
    : { ...process.env, INFERPLAN_CACHE: 'off' };
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1]!,
      'perfdb-speed',
      '--child',
      dir,
      '--system',
      system,
      '--backend',
      backend,
      '--version',
      version,
      '--queries',
      String(queries),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as ChildFigures;
}

export async function run(args: string[]): Promise<void> {
  if (optionValue(args, '--child')) return child(args);
  const dir = optionValue(args, '--perf-data');
  if (!dir) {
    process.stderr.write(
      'usage: npm run bench -- perfdb-speed --perf-data DIR [--system S] [--backend B] [--version V]\n',
    );
    process.exit(2);
  }
  const systemName = optionValue(args, '--system', 'h200_sxm')!;
  const backend = optionValue(args, '--backend', 'trtllm')!;
  const queries = Number(optionValue(args, '--queries', '1000000'));
  const resolved = resolvePerfVersion(scanPerfData(dir), systemName, backend, optionValue(args, '--version'));
  const version = resolved.version;
  const work = mkdtempSync(join(tmpdir(), 'inferplan-perfdb-speed-'));
  try {
    // Import only this system's data to keep the benchmark short.
    const sourceSubset = join(work, 'subset');
    mkdirSync(sourceSubset);
    symlinkSync(resolve(dir, systemName), join(sourceSubset, systemName));
    const embedded = join(work, 'ipdb');
    const raw = join(work, 'ipdb-raw');
    const csv = join(work, 'csv');
    await importPerfData(sourceSubset, embedded);
    await importPerfData(sourceSubset, raw, undefined, 'none');
    await exportPerfDataCsv(embedded, csv);
    const fromSource = measure(dir, systemName, backend, version, 0);
    const fromEmbedded = measure(embedded, systemName, backend, version, queries);
    const fromRaw = measure(raw, systemName, backend, version, 0);
    const fromCsv = measure(csv, systemName, backend, version, 0);
    // The first load fills the cache, the second reads it.
    const cache = join(work, 'cache');
    measure(dir, systemName, backend, version, 0, cache);
    const fromCache = measure(dir, systemName, backend, version, 0, cache);
    const versionBytes = (root: string) => bytesUnder(join(root, systemName, backend, version));
    const parquetBytes = [...resolved.tables.values()]
      .filter((r) => r.table !== 'nccl')
      .reduce((sum, r) => sum + statSync(r.file).size, 0);
    const mb = (b: number) => `${(b / 1e6).toFixed(2)}`;
    const rows = [
      [
        `load ${systemName}/${backend}/${version}: embedded .ipdb (gzip)`,
        fromEmbedded.loadMs.toFixed(0),
        'ms',
        '< 500',
      ],
      ['  same, uncompressed .ipdb', fromRaw.loadMs.toFixed(0), 'ms', ''],
      ['  same, parquet (source folder)', fromSource.loadMs.toFixed(0), 'ms', 'reported'],
      ['  same, parquet through a warm table cache', fromCache.loadMs.toFixed(0), 'ms', ''],
      ['  same, CSV (*_perf.txt)', fromCsv.loadMs.toFixed(0), 'ms', ''],
      ['rows loaded (every table of that version + nccl)', String(fromEmbedded.rows), 'rows', '~100k+'],
      ['size on disk: .ipdb gzip', mb(versionBytes(embedded)), 'MB', ''],
      ['  .ipdb uncompressed', mb(versionBytes(raw)), 'MB', ''],
      ['  parquet (source)', mb(parquetBytes), 'MB', ''],
      ['  CSV', mb(versionBytes(csv)), 'MB', ''],
      [`${queries} random interpolated GEMM queries`, fromEmbedded.queryMs.toFixed(0), 'ms', '< 2000'],
      ['  per query', ((fromEmbedded.queryMs * 1000) / Math.max(queries, 1)).toFixed(2), 'us', ''],
      ['peak RSS: load .ipdb + queries (fresh process)', fromEmbedded.rssMb.toFixed(0), 'MB', '< 300'],
      ['peak RSS: load parquet (fresh process)', fromSource.rssMb.toFixed(0), 'MB', ''],
    ];
    process.stdout.write(renderTable(['figure', 'value', 'unit', 'target'], rows));
    process.stdout.write(`checksum ${fromEmbedded.checksum.toPrecision(6)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
