// `db import` (any supported layout and format -> our embedded binary layout) and
// `db export` (ours or any other -> legacy-layout CSV `*_perf.txt`).
import { join, relative } from 'node:path';
import { InvalidInputError, writeFileAtomic } from '../common/index.js';
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

/** Load every job's table, convert it and write it atomically to `<out>/<system>/<backend>/<version>/<name>`. */
async function convertEach(
  jobs: readonly Job[],
  out: string,
  progress: ConvertProgress | undefined,
  convert: (table: PerfTable, job: Job) => { fileName: string; data: string | Uint8Array },
): Promise<ConvertedTable[]> {
  const done: ConvertedTable[] = [];
  for (const job of jobs) {
    const table = await loadTableFile(job.ref.file, job.ref.table, job.ref.format);
    const { fileName, data } = convert(table, job);
    const target = join(out, job.system, job.backend, job.version, fileName);
    await writeFileAtomic(target, data);
    done.push({
      system: job.system,
      backend: job.backend,
      version: job.version,
      table: job.ref.table,
      rows: table.rowCount,
      duplicateKeys: table.duplicateKeys,
      from: job.ref.file,
      to: target,
      bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength,
    });
    progress?.(done.length, jobs.length);
  }
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
  const done = await convertEach(jobs, out, progress, (loaded, job) => {
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
  });
  // Versions that borrowed tables through reuse.yaml keep doing so (no copied data).
  for (const alias of aliases) {
    await writeFileAtomic(
      join(out, alias.system, alias.backend, alias.version, 'reuse.yaml'),
      `# tables this version lacks come from version ${alias.target}\nreuse: '${alias.target}'\n`,
    );
  }
  return done;
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
