// `collect merge`: join the outputs of several shards (or campaigns) into one tree: tables
// merged by key (a later input wins; duplicates counted), provenance joined, rows checked.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  InvalidInputError,
  UsageError,
  ValidationFailedError,
  writeFileAtomicSync,
} from '../common/index.js';
import { OP_REGISTRY, type OpSpec, PREFIX_COLUMNS } from './op-registry.js';
import {
  type CampaignMeta,
  type CsvRow,
  readTable,
  rowKey,
  type TableMeta,
  writeCollectionMeta,
  writeTable,
} from './table-writer.js';

const SPEC_BY_FILE = new Map<string, OpSpec>(
  Object.values(OP_REGISTRY).map((s) => [`${s.table}_perf.txt`, s]),
);

/** Every `<system>/<backend>/<version>/` folder under root that holds at least one known table. */
export function findTableDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 4 || !existsSync(dir)) return;
    const entries = readdirSync(dir);
    if (entries.some((e) => SPEC_BY_FILE.has(e))) out.push(dir);
    for (const e of entries)
      if (!e.startsWith('.') && statSync(join(dir, e)).isDirectory()) walk(join(dir, e), depth + 1);
  };
  walk(root, 0);
  return out.sort();
}

export interface MergeIssue {
  readonly file: string;
  readonly row: number;
  readonly problem: string;
}

export interface MergedTable {
  readonly relDir: string;
  readonly file: string;
  readonly rows: number;
  readonly duplicates: number;
  readonly inputs: number;
}

export interface MergeReport {
  readonly tables: readonly MergedTable[];
  readonly issues: readonly MergeIssue[];
}

/**
 * Row checks every merged table must pass (the full quality gates run afterwards in perfdb).
 * `reference` is the row framework, version and device must match (default: the first row).
 */
export function checkRows(
  file: string,
  spec: OpSpec,
  rows: readonly CsvRow[],
  reference: CsvRow | undefined = rows[0],
): MergeIssue[] {
  const issues: MergeIssue[] = [];
  rows.forEach((row, i) => {
    for (const c of [...PREFIX_COLUMNS, ...spec.keyColumns])
      if ((row[c] ?? '') === '') issues.push({ file, row: i + 2, problem: `empty ${c}` });
    const latency = Number(row['latency']);
    if (!(Number.isFinite(latency) && latency > 0))
      issues.push({ file, row: i + 2, problem: `latency '${row['latency']}' is not a positive number` });
    if (reference)
      for (const c of ['framework', 'version', 'device'] as const)
        if (row[c] !== reference[c])
          issues.push({ file, row: i + 2, problem: `${c} '${row[c]}' differs from '${reference[c]}'` });
  });
  return issues;
}

/** One input's table: where it was read and its rows. */
interface InputTable {
  readonly path: string;
  readonly rows: CsvRow[];
}

function readMeta(path: string): TableMeta[] {
  let doc: { tables?: Record<string, TableMeta> } | null;
  try {
    doc = parseYaml(readFileSync(path, 'utf8')) as { tables?: Record<string, TableMeta> } | null;
  } catch (error) {
    throw new InvalidInputError(
      `${path}: not valid YAML (${(error as Error).message.split('\n')[0]}); restore it or delete it`,
    );
  }
  return Object.values(doc?.tables ?? {});
}

/**
 * Read and check every input first and write only when all of them are sound: a damaged shard
 * fails the merge without leaving a half-merged tree behind.
 */
export function mergeCollections(inputs: readonly string[], out: string): MergeReport {
  if (inputs.length === 0) throw new UsageError('collect merge needs at least one input folder');
  for (const input of inputs)
    if (!existsSync(input)) throw new UsageError(`collect merge: no such folder ${input}`);
  // relative table dir -> file -> one table per input, in input order
  const groups = new Map<string, Map<string, InputTable[]>>();
  const metas = new Map<string, TableMeta[]>();
  for (const input of inputs) {
    const dirs = findTableDirs(input);
    if (dirs.length === 0) throw new UsageError(`collect merge: ${input} holds no *_perf.txt tables`);
    for (const dir of dirs) {
      // Shards sit one level deeper (shard-<k>/<system>/...): keep only the system/backend/version tail.
      const rel = relative(input, dir).split('/').slice(-3).join('/');
      const files = groups.get(rel) ?? new Map<string, InputTable[]>();
      for (const file of readdirSync(dir).filter((f) => SPEC_BY_FILE.has(f))) {
        const path = join(dir, file);
        const rows = readTable(path, SPEC_BY_FILE.get(file) as OpSpec);
        // The collector writes a table only when it has rows: a bare header is a damaged file.
        if (rows.length === 0)
          throw new InvalidInputError(
            `${path} line 2: the table has a header but no rows; restore it from its shard or delete it`,
          );
        const list = files.get(file) ?? [];
        list.push({ path, rows });
        files.set(file, list);
      }
      groups.set(rel, files);
      const metaPath = join(dir, 'collection_meta.yaml');
      if (existsSync(metaPath)) {
        const list = metas.get(rel) ?? [];
        list.push(...readMeta(metaPath));
        metas.set(rel, list);
      }
    }
  }
  const planned: { outDir: string; spec: OpSpec; rows: CsvRow[] }[] = [];
  const tables: MergedTable[] = [];
  const issues: MergeIssue[] = [];
  for (const [rel, files] of groups) {
    for (const [file, perInput] of files) {
      const spec = SPEC_BY_FILE.get(file) as OpSpec;
      const reference = perInput[0]?.rows[0];
      const merged = new Map<string, CsvRow>();
      let duplicates = 0;
      for (const input of perInput) {
        // Checked per input so an issue names the file and line it is on.
        issues.push(...checkRows(input.path, spec, input.rows, reference));
        for (const row of input.rows) {
          const key = rowKey(spec, row);
          if (merged.has(key)) duplicates++;
          merged.set(key, row);
        }
      }
      planned.push({ outDir: join(out, rel), spec, rows: [...merged.values()] });
      tables.push({ relDir: rel, file, rows: merged.size, duplicates, inputs: perInput.length });
    }
  }
  if (issues.length > 0) {
    const first = issues[0] as MergeIssue;
    throw new ValidationFailedError(
      `input tables have ${issues.length} bad rows (first: ${first.file} line ${first.row}: ${first.problem}); ` +
        'fix or drop the shard that produced them (nothing was written)',
    );
  }
  for (const table of planned) writeTable(table.outDir, table.spec, table.rows, { replace: true });
  for (const rel of groups.keys()) {
    const outDir = join(out, rel);
    const joined = new Map<string, TableMeta>();
    for (const meta of metas.get(rel) ?? []) {
      const prev = joined.get(meta.table);
      const campaigns: CampaignMeta[] = [...(prev?.campaigns ?? []), ...(meta.campaigns ?? [])];
      const rows = tables.find((t) => t.relDir === rel && t.file === meta.file)?.rows ?? meta.rows;
      joined.set(meta.table, { ...meta, rows, campaigns });
    }
    if (joined.size > 0) writeCollectionMeta(outDir, [...joined.values()]);
    writeFileAtomicSync(
      join(outDir, 'merge_summary.json'),
      `${JSON.stringify({ inputs, tables: tables.filter((t) => t.relDir === rel), issues: 0 }, null, 2)}\n`,
    );
  }
  return { tables, issues };
}
