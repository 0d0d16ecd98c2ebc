// `db import` (any supported layout and format -> our embedded binary layout) and
// `db export` (ours or any other -> legacy-layout CSV `*_perf.txt`).
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { InvalidInputError, makeFoldersSync, writeFileAtomic } from '../common/index.js';
import { encodeBinaryTable } from './binary-format.js';
import { loadTableFile } from './file-loaders.js';
import { scanPerfData, type TableFileRef } from './perf-data-catalog.js';
import { type PerfTable, presentColumns } from './perf-table.js';
import { sortRowsForIndex } from './table-index.js';

export interface ConvertedTable {
  readonly system: string;
  readonly backend: string;
  readonly version: string;
  readonly table: string;
  readonly rows: number;
  readonly duplicateKeys: number;
  readonly from: string;
  readonly to: string;
  readonly bytes: number;
}

export type ConvertProgress = (done: number, total: number) => void;

interface Job {
  system: string;
  backend: string;
  version: string;
  ref: TableFileRef;
}

function jobsOf(dir: string): {
  jobs: Job[];
  aliases: { system: string; backend: string; version: string; target: string }[];
} {
  const catalog = scanPerfData(dir);
  if (catalog.systems.size === 0)
    throw new InvalidInputError(
      `no perf tables found in '${dir}'; expected <system>/<backend>/<version>/<table>_perf.txt|.parquet ` +
        'or <system>/<family>/<backend>/<version>/... (see docs/perf-database.md)',
    );
  const jobs: Job[] = [];
  const aliases = new Map<string, { system: string; backend: string; version: string; target: string }>();
  for (const [system, backends] of catalog.systems)
    for (const [backend, versions] of backends)
      for (const [version, refs] of versions)
        for (const ref of refs.values()) {
          if (ref.reusedFrom)
            aliases.set(`${system}/${backend}/${version}`, {
              system,
              backend,
              version,
              target: ref.reusedFrom,
            });
          else jobs.push({ system, backend, version, ref });
        }
  return { jobs, aliases: [...aliases.values()] };
}

/** Where a staged file lands, relative to the output folder. */
interface Staged {
  readonly rel: string;
  readonly data: string | Uint8Array;
}

/**
 * Write every file into a hidden staging folder inside `out`, then move them into place: a table
 * that fails to load or convert fails the whole conversion before `out` gains a single file.
 * The staging folder starts with '.', so perf data scans skip it even if a crash leaves it behind.
 */
async function writeStaged(out: string, files: readonly Staged[]): Promise<void> {
  if (existsSync(out) && !statSync(out).isDirectory())
    throw new InvalidInputError(`--out ${out}: is a file, not a folder; choose a folder`);
  makeFoldersSync(out);
  const staging = join(out, `.import-${randomBytes(6).toString('hex')}.partial`);
  try {
    for (const file of files) await writeFileAtomic(join(staging, file.rel), file.data);
    for (const file of files) {
      const target = join(out, file.rel);
      makeFoldersSync(dirname(target));
      try {
        renameSync(join(staging, file.rel), target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new InvalidInputError(`cannot write ${target} (${code}); choose another --out folder`);
      }
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Load and convert every job's table, then write them all to
 * `<out>/<system>/<backend>/<version>/<name>` (plus `extra` files), or none of them.
 */
async function convertEach(
  jobs: readonly Job[],
  out: string,
  progress: ConvertProgress | undefined,
  convert: (table: PerfTable, job: Job) => { fileName: string; data: string | Uint8Array },
  extra: readonly Staged[] = [],
): Promise<ConvertedTable[]> {
  const done: ConvertedTable[] = [];
  const files: Staged[] = [];
  for (const job of jobs) {
    const table = await loadTableFile(job.ref.file, job.ref.table, job.ref.format);
    // A header without rows is a truncated or hand-emptied file, not a table worth shipping.
    if (table.rowCount === 0)
      throw new InvalidInputError(
        `${job.ref.file}: ${job.ref.table} table has no rows (header only); add its rows or delete the file`,
      );
    const { fileName, data } = convert(table, job);
    const rel = join(job.system, job.backend, job.version, fileName);
    files.push({ rel, data });
    done.push({
      system: job.system,
      backend: job.backend,
      version: job.version,
      table: job.ref.table,
      rows: table.rowCount,
      duplicateKeys: table.duplicateKeys,
      from: job.ref.file,
      to: join(out, rel),
      bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength,
    });
    progress?.(done.length, jobs.length);
  }
  await writeStaged(out, [...files, ...extra]);
  return done;
}

/** Convert every table under `from` into `<out>/<system>/<backend>/<version>/<table>.ipdb`. */
export async function importPerfData(
  from: string,
  out: string,
  progress?: ConvertProgress,
  compression: 'none' | 'gzip' = 'gzip',
): Promise<ConvertedTable[]> {
  const { jobs, aliases } = jobsOf(from);
  // Versions that borrowed tables through reuse.yaml keep doing so (no copied data).
  const reuseFiles = aliases.map((alias) => ({
    rel: join(alias.system, alias.backend, alias.version, 'reuse.yaml'),
    data: `# tables this version lacks come from version ${alias.target}\nreuse: '${alias.target}'\n`,
  }));
  return convertEach(
    jobs,
    out,
    progress,
    (loaded, job) => {
      const table = sortRowsForIndex(loaded);
      const data = encodeBinaryTable(
        table,
        {
          importedFrom: relative(from, job.ref.file) || job.ref.file,
          sourceFormat: job.ref.format,
          importedAt: new Date().toISOString(),
          tool: 'inferplan db import',
        },
        compression,
      );
      return { fileName: `${job.ref.table}.ipdb`, data };
    },
    reuseFiles,
  );
}

function csvCell(value: string | number): string {
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The table as CSV text with the header line (legacy `*_perf.txt` form). */
export function tableToCsv(table: PerfTable): string {
  const columns = presentColumns(table);
  const lines: string[] = [columns.join(',')];
  const getters = columns.map((name) => {
    const s = table.strings.get(name);
    if (s) return (row: number) => csvCell(s.dict[s.codes[row]!]!);
    const n = table.numbers.get(name)!;
    return (row: number) => csvCell(n[row]!);
  });
  for (let row = 0; row < table.rowCount; row++) lines.push(getters.map((g) => g(row)).join(','));
  return `${lines.join('\n')}\n`;
}

/** Write every table under `from` as `<out>/<system>/<backend>/<version>/<table>_perf.txt`. */
export async function exportPerfDataCsv(
  from: string,
  out: string,
  progress?: ConvertProgress,
): Promise<ConvertedTable[]> {
  const { jobs } = jobsOf(from);
  return convertEach(jobs, out, progress, (table, job) => ({
    fileName: `${job.ref.table}_perf.txt`,
    data: tableToCsv(table),
  }));
}
