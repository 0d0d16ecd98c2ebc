// Reads a measured-serving CSV; a malformed row becomes a per-row problem, not a failed run.
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { InvalidInputError, UsageError } from '../common/index.js';
import { REQUIRED_COLUMNS, type SiliconRow, SiliconRowSchema } from './silicon-row.js';

export interface RowProblem {
  /** 1-based line in the file (the header is line 1). */
  readonly line: number;
  readonly id: string;
  readonly message: string;
}

export interface SiliconCsv {
  readonly rows: readonly SiliconRow[];
  readonly problems: readonly RowProblem[];
}

export function parseSiliconCsv(text: string, path: string): SiliconCsv {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch (error) {
    throw new InvalidInputError(`${path}: not a readable CSV (${(error as Error).message.split('\n')[0]})`);
  }
  const header = records[0] ? Object.keys(records[0]) : [];
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (records.length > 0 && missing.length > 0) {
    throw new InvalidInputError(
      `${path}: missing columns ${missing.join(', ')}; expected at least ${REQUIRED_COLUMNS.join(', ')}`,
    );
  }
  const rows: SiliconRow[] = [];
  const problems: RowProblem[] = [];
  records.forEach((record, index) => {
    const line = index + 2;
    const parsed = SiliconRowSchema.safeParse(record);
    if (parsed.success) {
      rows.push(parsed.data);
    } else {
      const issue = parsed.error.issues[0]!;
      problems.push({
        line,
        id: record['id'] ?? '',
        message: `${path}:${line}: column '${issue.path.join('.')}': ${issue.message}`,
      });
    }
  });
  return { rows, problems };
}

export function readSiliconCsv(path: string): SiliconCsv {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InvalidInputError(`cannot read '${path}'; pass the path of a measured-results CSV`);
  }
  return parseSiliconCsv(text, path);
}

/** Files given as one set must differ: a file named twice would count its rows twice. */
export function refuseRepeatedFiles(paths: readonly string[]): void {
  const seen = new Set<string>();
  for (const path of paths) {
    if (seen.has(resolve(path))) throw new UsageError(`${path} is given twice; name each file once`);
    seen.add(resolve(path));
  }
}

/** The file a path names, through links where it exists. */
function sameFileKey(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** An output path that names one of the inputs would replace measurements with predictions. */
export function refuseOverwritingInputs(
  inputs: readonly string[],
  outputs: readonly (readonly [flag: string, path: string | undefined])[],
): void {
  const inputKeys = new Set(inputs.map(sameFileKey));
  for (const [flag, path] of outputs) {
    if (path !== undefined && inputKeys.has(sameFileKey(path))) {
      throw new UsageError(`${flag} ${path} is one of the input files; write to another path`);
    }
  }
}

/**
 * Several measured-results CSVs read as one set (e.g. a sweep and its follow-up runs). Row ids must
 * stay unique across files: per-row predictions and repeats are keyed by them.
 */
export function readSiliconCsvs(paths: readonly string[]): SiliconCsv {
  refuseRepeatedFiles(paths);
  const rows: SiliconRow[] = [];
  const problems: RowProblem[] = [];
  const fileOf = new Map<string, string>();
  for (const path of paths) {
    const parsed = readSiliconCsv(path);
    for (const row of parsed.rows) {
      const earlier = fileOf.get(row.id);
      if (earlier !== undefined && earlier !== path)
        throw new InvalidInputError(
          `${path}: row id '${row.id}' is also in ${earlier}; ids must be unique across the files compared`,
        );
      fileOf.set(row.id, path);
      rows.push(row);
    }
    problems.push(...parsed.problems);
  }
  return { rows, problems };
}
