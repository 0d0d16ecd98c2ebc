// Public entry points: open the database for one system + backend + version, list what exists.
// Loaded tables and their indexes are cached in-process (the search opens databases many times).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DATA_DIR, InvalidInputError, UnknownNameError } from '../common/index.js';
import type { SystemSpec } from '../hardware/index.js';
import { readBinaryHeader } from './binary-format.js';
import { loadTableFile, parquetLatencyFloorMs } from './file-loaders.js';
import { lendHostBoundTables, smallCallMs } from './host-bound-tables.js';
import type { DatabaseMode } from './op-query.js';
import { NCCL_BACKEND, type PerfCatalog, scanPerfData, type TableFileRef } from './perf-data-catalog.js';
import { distinctStrings } from './perf-table.js';
import { type DatabaseOptions, TableDatabase } from './table-database.js';
import { buildTableIndex, type TableIndex } from './table-index.js';
import type { TableName } from './table-schemas.js';
import { nearestVersion, newestVersion, sortVersions } from './version-order.js';

/** Where the embedded database ships: `data/perf/<system>/<backend>/<version>/<table>.ipdb`. */
export const EMBEDDED_PERF_DIR = join(DATA_DIR, 'perf');

export interface OpenPerfDatabaseOptions extends DatabaseOptions {
  readonly system: SystemSpec;
  readonly backend: string;
  /** Omitted: the newest version available. */
  readonly version?: string;
  /** An aiconfigurator `systems/data` folder or ours; default the embedded database. */
  readonly perfDataDir?: string;
  readonly mode: DatabaseMode;
  /** Where warnings go (default: stderr, once per message per process). */
  readonly warn?: (message: string) => void;
}

const indexCache = new Map<string, { stamp: string; index: TableIndex }>();
const floorCache = new Map<string, { stamp: string; floorMs: number }>();
const warned = new Set<string>();
const databaseCache = new Map<string, TableDatabase>();

function defaultWarn(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`warning: ${message}\n`);
}

function stampOf(file: string): string {
  const st = statSync(file);
  return `${st.size}:${st.mtimeMs}`;
}

/** Load (or reuse) the index of one table file. */
export async function loadTableIndex(ref: TableFileRef): Promise<TableIndex> {
  const key = resolve(ref.file);
  const stamp = stampOf(ref.file);
  const cached = indexCache.get(key);
  if (cached && cached.stamp === stamp) return cached.index;
  const table = await loadTableFile(ref.file, ref.table, ref.format);
  const index = buildTableIndex(table);
  indexCache.set(key, { stamp, index });
  return index;
}

/**
 * A lower bound of a table file's smallCallMs without loading it (0: none): exact when the table is
 * loaded already, else the fastest latency of a parquet file's latency column alone.
 */
async function smallCallFloorMs(ref: TableFileRef): Promise<number> {
  const key = resolve(ref.file);
  const stamp = stampOf(ref.file);
  const loaded = indexCache.get(key);
  if (loaded && loaded.stamp === stamp) return smallCallMs(loaded.index);
  const cached = floorCache.get(key);
  if (cached && cached.stamp === stamp) return cached.floorMs;
  const floorMs = ref.format === 'parquet' ? await parquetLatencyFloorMs(ref.file) : 0;
  floorCache.set(key, { stamp, floorMs });
  return floorMs;
}

function catalogOf(dir: string | undefined): PerfCatalog {
  const root = dir ?? EMBEDDED_PERF_DIR;
  if (dir === undefined && !existsSync(root)) return { root, systems: new Map(), ignoredFiles: [] };
  return scanPerfData(root);
}

export interface ResolvedVersion {
  readonly system: string;
  readonly backend: string;
  readonly requested: string | undefined;
  readonly version: string;
  readonly tables: ReadonlyMap<TableName, TableFileRef>;
}

/** Pick system / backend / version in a catalog, with the nearest-version fallback. */
export function resolvePerfVersion(
  catalog: PerfCatalog,
  system: string,
  backend: string,
  version: string | undefined,
  warn: (message: string) => void = defaultWarn,
): ResolvedVersion {
  const hint = `see 'inferplan db ls${catalog.root === EMBEDDED_PERF_DIR ? '' : ` --perf-data ${catalog.root}`}'`;
  const backends = catalog.systems.get(system);
  if (!backends)
    throw new UnknownNameError(
      `system with perf data in ${catalog.root}`,
      system,
      [...catalog.systems.keys()].sort(),
      // Worded for both the flags and exp's YAML fields (perf_data, database_mode).
      `point --perf-data at a folder that has it, or use --database-mode sol (in an exp file: perf_data, database_mode); ${hint}`,
    );
  const versions = backends.get(backend);
  if (!versions || backend === NCCL_BACKEND)
    throw new UnknownNameError(
      `backend for ${system}`,
      backend,
      [...backends.keys()].filter((b) => b !== NCCL_BACKEND).sort(),
      hint,
    );
  const known = sortVersions(versions.keys());
  let chosen = version ?? newestVersion(known)!;
  if (!versions.has(chosen)) {
    // Only a version-like request has a "nearest" version; anything else is a typo.
    if (!/^v?\d+(\.\d+)*/.test(chosen)) throw new UnknownNameError(`${backend} version`, chosen, known, hint);
    const nearest = nearestVersion(chosen, known);
    if (!nearest) throw new UnknownNameError(`${backend} version`, chosen, known, hint);
    warn(
      `no ${system}/${backend} ${chosen} perf data; using the nearest version ${nearest} (known: ${known.join(', ')})`,
    );
    chosen = nearest;
  }
  const tables = new Map(versions.get(chosen)!);
  if (!tables.has('nccl')) {
    // NCCL is versioned on its own: use the newest NCCL data of the system.
    const nccl = backends.get(NCCL_BACKEND);
    if (nccl) {
      const newest = newestVersion(nccl.keys())!;
      const ref = nccl.get(newest)!.get('nccl');
      if (ref) tables.set('nccl', ref);
    }
  }
  return { system, backend, requested: version, version: chosen, tables };
}

/** Open the database for one system + backend (+ version); loads and indexes every table. */
export async function openPerfDatabase(options: OpenPerfDatabaseOptions): Promise<TableDatabase> {
  const warn = options.warn ?? defaultWarn;
  const catalog = catalogOf(options.perfDataDir);
  const noDataNeeded = options.mode === 'sol' || options.mode === 'empirical';
  let resolved: ResolvedVersion;
  try {
    resolved = resolvePerfVersion(catalog, options.system.name, options.backend, options.version, warn);
  } catch (error) {
    // SOL and fixed-efficiency estimates need no tables (what-if hardware).
    if (noDataNeeded && error instanceof UnknownNameError)
      return new TableDatabase(
        options.system,
        options.backend,
        options.version ?? 'none',
        options.mode,
        new Map(),
        options,
      );
    throw error;
  }
  const indexes = new Map<TableName, TableIndex>();
  for (const [name, ref] of resolved.tables) indexes.set(name, await loadTableIndex(ref));
  const tableOrigins = new Map<TableName, string>();
  for (const lent of await lendHostBoundTables(
    catalog,
    resolved.system,
    resolved.backend,
    indexes,
    loadTableIndex,
    smallCallFloorMs,
  )) {
    indexes.set(lent.table, lent.index);
    tableOrigins.set(lent.table, lent.origin);
    warn(
      `${resolved.system}/${resolved.backend} ${resolved.version} ${lent.table} is host-bound (smallest calls ` +
        `${lent.ownSmallCallMs.toFixed(3)} ms vs ${lent.lenderSmallCallMs.toFixed(3)} ms); using ${lent.origin}'s`,
    );
  }
  // Reuse the database object when nothing changed: its per-system setup walks every row.
  const key = JSON.stringify([
    resolve(catalog.root),
    options.system,
    resolved.backend,
    resolved.version,
    options.mode,
    options.smoothGenerationKv ?? true,
  ]);
  const cached = databaseCache.get(key);
  if (
    cached &&
    cached.indexes.size === indexes.size &&
    [...indexes].every(([name, index]) => cached.indexes.get(name) === index)
  )
    return cached;
  const database = new TableDatabase(
    options.system,
    resolved.backend,
    resolved.version,
    options.mode,
    indexes,
    {
      ...options,
      tableOrigins,
    },
  );
  databaseCache.set(key, database);
  return database;
}

export interface PerfDataEntry {
  readonly system: string;
  readonly backend: string;
  readonly version: string;
  readonly table: TableName;
  readonly rows: number;
  readonly kernelSources: readonly string[];
  readonly format: string;
  readonly file: string;
  readonly reusedFrom?: string;
}

async function summarize(ref: TableFileRef): Promise<{ rows: number; kernelSources: string[] }> {
  if (ref.format === 'ipdb') {
    const header = readBinaryHeader(ref.file, readFileSync(ref.file));
    const ks = header.columns.find((c) => c.name === 'kernel_source');
    return { rows: header.rowCount, kernelSources: ks?.dict ?? [] };
  }
  if (ref.format === 'parquet') {
    try {
      const bytes = readFileSync(ref.file);
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const metadata = parquetMetadata(buffer);
      const sources = new Set<string>();
      await parquetRead({
        file: buffer,
        metadata,
        compressors,
        columns: ['kernel_source'],
        onChunk: ({ columnData }) => {
          for (let i = 0; i < columnData.length; i++) sources.add(String(columnData[i]));
        },
      });
      return { rows: Number(metadata.num_rows), kernelSources: [...sources] };
    } catch (error) {
      throw new InvalidInputError(`${ref.file}: not a readable parquet file (${(error as Error).message})`);
    }
  }
  const index = await loadTableIndex(ref);
  return { rows: index.table.rowCount, kernelSources: distinctStrings(index.table, 'kernel_source') };
}

/** Every system x backend x version x table under `dir` (default: the embedded database). */
export async function listPerfData(dir?: string): Promise<PerfDataEntry[]> {
  const catalog = catalogOf(dir);
  const entries: PerfDataEntry[] = [];
  for (const system of [...catalog.systems.keys()].sort()) {
    const backends = catalog.systems.get(system)!;
    for (const backend of [...backends.keys()].sort()) {
      const versions = backends.get(backend)!;
      for (const version of sortVersions(versions.keys())) {
        for (const ref of [...versions.get(version)!.values()].sort((a, b) =>
          a.table.localeCompare(b.table),
        )) {
          const { rows, kernelSources } = await summarize(ref);
          entries.push({
            system,
            backend,
            version,
            table: ref.table,
            rows,
            kernelSources,
            format: ref.format,
            file: ref.file,
            ...(ref.reusedFrom ? { reusedFrom: ref.reusedFrom } : {}),
          });
        }
      }
    }
  }
  return entries;
}

export { catalogOf as scanPerfDataDir };
