// The single writer of output tables: legacy-layout CSV (`<out>/<system>/torch/<version>/
// <table>_perf.txt`), merged with rows already there (same key: the new row wins), written
// atomically, with collection_meta.yaml beside the tables.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { InvalidInputError, writeFileAtomicSync } from '../common/index.js';
import type { RowRecord } from './checkpoint.js';
import { type OpSpec, PREFIX_COLUMNS } from './op-registry.js';

export interface TableContext {
  readonly framework: string;
  readonly version: string;
  readonly device: string;
}

export type CsvRow = Record<string, string>;

export function tablePath(dir: string, spec: OpSpec): string {
  return join(dir, `${spec.table}_perf.txt`);
}

export function tableColumns(spec: OpSpec, hasPower: boolean): string[] {
  return [...PREFIX_COLUMNS, ...spec.keyColumns, 'latency', ...(hasPower ? ['power', 'power_limit'] : [])];
}

/** Key of a row: op_name plus the key columns (what a loader indexes by). */
export function rowKey(spec: OpSpec, row: CsvRow): string {
  return [row['op_name'], ...spec.keyColumns.map((c) => row[c])].join('|');
}

const formatNumber = (value: number): string => {
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(6)).toString();
};

export function recordToRow(spec: OpSpec, context: TableContext, record: RowRecord): CsvRow {
  const row: CsvRow = {
    framework: context.framework,
    version: context.version,
    device: context.device,
    op_name: record.opName,
    kernel_source: record.kernelSource,
  };
  for (const column of spec.keyColumns) {
    const value = record.params[column];
    row[column] = typeof value === 'number' ? formatNumber(value) : String(value ?? '');
  }
  row['latency'] = formatNumber(record.latencyMs);
  if (record.powerW !== undefined) row['power'] = formatNumber(record.powerW);
  if (record.powerLimitW !== undefined) row['power_limit'] = formatNumber(record.powerLimitW);
  return row;
}

/**
 * Rows of the table at `path` ([] when there is no file). With `spec`, the header must hold the
 * spec's columns: otherwise a damaged file (one stray line, a wrong table) would read as a table
 * with no rows, and whatever writes it back would silently drop its data.
 */
export function readTable(path: string, spec?: OpSpec): CsvRow[] {
  if (!existsSync(path)) return [];
  let header: string[] = [];
  let rows: CsvRow[];
  try {
    rows = parseCsv(readFileSync(path, 'utf8'), {
      columns: (names: string[]) => {
        header = names;
        return names;
      },
      skip_empty_lines: true,
      trim: true,
    }) as CsvRow[];
  } catch (error) {
    throw new InvalidInputError(`${path}: not a readable CSV table (${(error as Error).message})`);
  }
  if (spec) {
    const missing = [...PREFIX_COLUMNS, ...spec.keyColumns, 'latency'].filter((c) => !header.includes(c));
    if (missing.length > 0)
      throw new InvalidInputError(
        `${path} line 1: not a ${spec.table} table, its header lacks ${missing.join(', ')}; ` +
          'restore the file from its shard or delete it',
      );
  }
  return rows;
}

const csvCell = (value: string): string =>
  /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

/** Sort rows by op_name then key columns (numbers numerically) so files diff cleanly. */
export function sortRows(spec: OpSpec, rows: CsvRow[]): CsvRow[] {
  const keys = ['op_name', ...spec.keyColumns];
  return [...rows].sort((a, b) => {
    for (const key of keys) {
      const x = a[key] ?? '';
      const y = b[key] ?? '';
      const nx = Number(x);
      const ny = Number(y);
      const cmp =
        x !== '' && y !== '' && Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
      if (cmp !== 0) return cmp;
    }
    return 0;
  });
}

export function renderCsv(columns: readonly string[], rows: readonly CsvRow[]): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c] ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}

export interface WriteTableResult {
  readonly path: string;
  readonly rows: number;
  readonly newRows: number;
  readonly replacedRows: number;
  /** Distinct kernel_source values of the written table, sorted. */
  readonly kernelSources: readonly string[];
}

/** Merge new rows into the table at `dir` (unless `replace`) and write it atomically. */
export function writeTable(
  dir: string,
  spec: OpSpec,
  newRows: readonly CsvRow[],
  options: { replace?: boolean } = {},
): WriteTableResult {
  const path = tablePath(dir, spec);
  const merged = new Map<string, CsvRow>();
  if (!options.replace) for (const row of readTable(path, spec)) merged.set(rowKey(spec, row), row);
  let replaced = 0;
  for (const row of newRows) {
    const key = rowKey(spec, row);
    if (merged.has(key)) replaced++;
    merged.set(key, row);
  }
  const rows = sortRows(spec, [...merged.values()]);
  const hasPower = rows.some((r) => (r['power'] ?? '') !== '');
  writeFileAtomicSync(path, renderCsv(tableColumns(spec, hasPower), rows));
  const kernelSources = [...new Set(rows.map((r) => r['kernel_source'] ?? ''))].sort();
  return {
    path,
    rows: rows.length,
    newRows: newRows.length - replaced,
    replacedRows: replaced,
    kernelSources,
  };
}

/** One campaign's contribution to a table (a table can merge several campaigns). */
export interface CampaignMeta {
  readonly plan_hash: string;
  readonly planned_cases: number;
  readonly done_cases: number;
  readonly failed_cases: number;
  readonly status: 'complete' | 'partial';
  readonly started_at: string;
  readonly finished_at: string;
  readonly collector_git_sha: string;
  readonly collector_code_hash: string;
  readonly notes?: Readonly<Record<string, string | number>>;
}

export interface TableMeta {
  readonly table: string;
  readonly file: string;
  readonly framework: string;
  readonly framework_version: string;
  readonly device: string;
  readonly system: string;
  readonly sm: number | null;
  readonly driver: string | null;
  readonly cuda: string | null;
  readonly torch: string;
  readonly rows: number;
  /** complete when every campaign that wrote rows here finished its plan without failures. */
  readonly status: 'complete' | 'partial';
  readonly kernel_sources: readonly string[];
  readonly campaigns: readonly CampaignMeta[];
}

interface StoredTableMeta {
  campaigns?: CampaignMeta[];
}

/** Update collection_meta.yaml: one entry per table, campaigns merged by plan hash. */
export function writeCollectionMeta(dir: string, entries: readonly TableMeta[]): string {
  const path = join(dir, 'collection_meta.yaml');
  let tables: Record<string, unknown> = {};
  if (existsSync(path)) {
    const parsed = parseYaml(readFileSync(path, 'utf8')) as { tables?: Record<string, unknown> } | null;
    tables = parsed?.tables ?? {};
  }
  for (const entry of entries) {
    const previous = (tables[entry.table] ?? {}) as StoredTableMeta;
    const byHash = new Map<string, CampaignMeta>();
    for (const c of previous.campaigns ?? [])
      if (c && typeof c.plan_hash === 'string') byHash.set(c.plan_hash, c);
    for (const c of entry.campaigns) byHash.set(c.plan_hash, c);
    const campaigns = [...byHash.values()].sort((a, b) => a.started_at.localeCompare(b.started_at));
    tables[entry.table] = {
      ...entry,
      status: campaigns.every((c) => c.status === 'complete') ? 'complete' : 'partial',
      campaigns,
    };
  }
  const doc = {
    schema: 1,
    layout: 'aiconfigurator-legacy-csv',
    generated_by: 'inferplan collect',
    updated_at: new Date().toISOString(),
    tables,
  };
  writeFileAtomicSync(path, stringifyYaml(doc));
  return path;
}
