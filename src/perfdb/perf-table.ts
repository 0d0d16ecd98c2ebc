// One loaded perf table in columnar form: dictionary-encoded strings, Float64Array numbers.
// Every loader (CSV, parquet, our binary format) ends here, so validation of cells lives here.
import { InvalidInputError } from '../common/index.js';
import {
  canonicalColumns,
  type PerfFileFormat,
  PREFIX_COLUMNS,
  type TableSchema,
  VALUE_COLUMNS,
} from './table-schemas.js';

export interface StringColumn {
  readonly dict: readonly string[];
  readonly codes: Uint32Array;
}

export interface TableSource {
  /** File the rows came from. */
  readonly file: string;
  readonly format: PerfFileFormat;
  /** Provenance carried over from an import (original file, importer version, time). */
  readonly importedFrom?: string;
}

export interface PerfTable {
  readonly schema: TableSchema;
  readonly rowCount: number;
  /** Present string columns (prefix, string keys, extras). */
  readonly strings: ReadonlyMap<string, StringColumn>;
  /** Present numeric columns (int keys, latency, power, power_limit); NaN marks an empty cell. */
  readonly numbers: ReadonlyMap<string, Float64Array>;
  readonly source: TableSource;
  /** Rows dropped because a later row had the same key (the later one is kept). */
  readonly duplicateKeys: number;
  /** Column names in the order the source file had them. */
  readonly fileColumns: readonly string[];
}

/** Raw columns as a loader produced them: strings, numbers, bigints, null for empty cells. */
export type RawColumns = ReadonlyMap<string, ArrayLike<unknown>>;

function fail(source: TableSource, row: number, column: string, message: string): never {
  // row is 1-based over data rows; CSV files add one for the header line.
  const where = source.format === 'csv' ? `line ${row + 1}` : `row ${row}`;
  throw new InvalidInputError(`${source.file}: ${where}, column '${column}': ${message}`);
}

function encodeStrings(values: ArrayLike<unknown>, rowCount: number, column: string, source: TableSource) {
  const index = new Map<string, number>();
  const dict: string[] = [];
  const codes = new Uint32Array(rowCount);
  for (let i = 0; i < rowCount; i++) {
    const raw = values[i];
    if (raw === null || raw === undefined) fail(source, i + 1, column, 'empty cell; every row needs a value');
    const value = typeof raw === 'string' ? raw.trim() : String(raw);
    if (value === '') fail(source, i + 1, column, 'empty cell; every row needs a value');
    let code = index.get(value);
    if (code === undefined) {
      code = dict.length;
      dict.push(value);
      index.set(value, code);
    }
    codes[i] = code;
  }
  return { dict, codes };
}

/** A cell as a number; NaN for an empty cell; undefined for text that is not a number. */
function parseNumber(raw: unknown): number | undefined {
  if (raw === null || raw === undefined) return Number.NaN;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (text === '') return Number.NaN;
    if (/^[+-]?(nan|inf|infinity)$/i.test(text)) {
      const lower = text.toLowerCase();
      return lower.includes('nan') ? Number.NaN : lower.startsWith('-') ? -Infinity : Infinity;
    }
    const value = Number(text);
    return Number.isNaN(value) ? undefined : value;
  }
  return undefined;
}

function encodeNumbers(
  values: ArrayLike<unknown>,
  rowCount: number,
  column: string,
  kind: 'int' | 'float',
  required: boolean,
  source: TableSource,
): Float64Array {
  const out = new Float64Array(rowCount);
  for (let i = 0; i < rowCount; i++) {
    const raw = values[i];
    const value = parseNumber(raw);
    if (value === undefined) fail(source, i + 1, column, `'${String(raw)}' is not a number`);
    const isEmpty = raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '');
    if (isEmpty && required) fail(source, i + 1, column, 'empty cell; expected a number');
    if (kind === 'int' && !isEmpty && !Number.isInteger(value))
      fail(source, i + 1, column, `'${String(raw)}' is not an integer`);
    out[i] = value;
  }
  return out;
}

/**
 * Fail with one line naming the missing columns unless `has` holds for every prefix column, every
 * key column without a default, and latency: the columns every reader of a table relies on.
 */
export function assertRequiredColumns(
  schema: TableSchema,
  has: (column: string) => boolean,
  file: string,
): void {
  const required = [
    ...PREFIX_COLUMNS,
    ...schema.keyColumns.filter((c) => c.defaultValue === undefined).map((c) => c.name),
    'latency',
  ];
  const missing = required.filter((c) => !has(c));
  if (missing.length > 0) {
    throw new InvalidInputError(
      `${file}: not a valid ${schema.name} table: missing column(s) ${missing.join(', ')}; ` +
        `expected columns: ${canonicalColumns(schema).join(', ')} (power, power_limit and defaulted keys optional)`,
    );
  }
}

/** Validate and encode raw columns into a table; errors name the file, row and column. */
export function buildPerfTable(
  schema: TableSchema,
  raw: RawColumns,
  rowCount: number,
  source: TableSource,
  fileColumns: readonly string[],
): PerfTable {
  assertRequiredColumns(schema, (c) => raw.has(c), source.file);
  const strings = new Map<string, StringColumn>();
  const numbers = new Map<string, Float64Array>();
  for (const name of PREFIX_COLUMNS) strings.set(name, encodeStrings(raw.get(name)!, rowCount, name, source));
  for (const column of [...schema.keyColumns, ...schema.extraColumns]) {
    const values = raw.get(column.name);
    const isExtra = schema.extraColumns.includes(column);
    if (values === undefined) {
      if (isExtra) continue;
      // Older files lack some keys (window_size, beam_width): fill the documented default.
      if (column.type === 'int')
        numbers.set(column.name, new Float64Array(rowCount).fill(Number(column.defaultValue)));
      else
        strings.set(column.name, { dict: [String(column.defaultValue)], codes: new Uint32Array(rowCount) });
      continue;
    }
    if (column.type === 'string')
      strings.set(column.name, encodeStrings(values, rowCount, column.name, source));
    else numbers.set(column.name, encodeNumbers(values, rowCount, column.name, 'int', !isExtra, source));
  }
  numbers.set('latency', encodeNumbers(raw.get('latency')!, rowCount, 'latency', 'float', false, source));
  for (const name of VALUE_COLUMNS.slice(1)) {
    const values = raw.get(name);
    if (values !== undefined)
      numbers.set(name, encodeNumbers(values, rowCount, name, 'float', false, source));
  }
  const table: PerfTable = {
    schema,
    rowCount,
    strings,
    numbers,
    source,
    duplicateKeys: 0,
    fileColumns,
  };
  return dropDuplicateKeys(table);
}

/** Columns that identify a measurement (everything except framework/version/device and the values). */
export function identityColumns(table: PerfTable): string[] {
  const names = ['op_name', 'kernel_source', ...table.schema.keyColumns.map((c) => c.name)];
  for (const c of table.schema.extraColumns)
    if (table.strings.has(c.name) || table.numbers.has(c.name)) names.push(c.name);
  return names;
}

/** Keep the latest row of each key; counting what was dropped. */
export function dropDuplicateKeys(table: PerfTable): PerfTable {
  const cols = identityColumns(table).map(
    (name) => (table.strings.get(name)?.codes ?? table.numbers.get(name)!) as ArrayLike<number>,
  );
  // A 53-bit hash of the key columns indexes rows; equal hashes are confirmed column by column.
  const byHash = new Map<number, number>();
  const keep = new Uint8Array(table.rowCount);
  let kept = 0;
  const sameKey = (a: number, b: number) => {
    for (const col of cols) if (col[a] !== col[b]) return false;
    return true;
  };
  let collided: Map<string, number> | undefined;
  for (let row = 0; row < table.rowCount; row++) {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (const col of cols) {
      const v = col[row]!;
      const lo = v | 0;
      const hi = (v / 4294967296) | 0;
      h1 = Math.imul(h1 ^ lo, 0x01000193) ^ hi;
      h2 = Math.imul(h2 + lo, 0x5bd1e995) + Math.imul(hi, 0x27d4eb2d);
    }
    const hash = (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);
    const previous = byHash.get(hash);
    if (previous === undefined) {
      byHash.set(hash, row);
      keep[row] = 1;
      kept++;
    } else if (sameKey(previous, row)) {
      keep[previous] = 0;
      keep[row] = 1;
      byHash.set(hash, row);
    } else {
      // A genuine hash collision (vanishingly rare): fall back to exact string keys for this row.
      collided ??= new Map();
      const key = cols.map((c) => c[row]).join(',');
      const other = collided.get(key);
      if (other !== undefined) keep[other] = 0;
      else kept++;
      collided.set(key, row);
      keep[row] = 1;
    }
  }
  if (kept === table.rowCount) return table;
  return { ...selectRows(table, keep, kept), duplicateKeys: table.duplicateKeys + table.rowCount - kept };
}

/** The rows in the given order (a permutation of all rows). */
export function permuteRows(table: PerfTable, order: readonly number[]): PerfTable {
  const strings = new Map<string, StringColumn>();
  const numbers = new Map<string, Float64Array>();
  for (const [name, col] of table.strings)
    strings.set(name, { dict: col.dict, codes: Uint32Array.from(order, (r) => col.codes[r]!) });
  for (const [name, col] of table.numbers)
    numbers.set(
      name,
      Float64Array.from(order, (r) => col[r]!),
    );
  return { ...table, strings, numbers };
}

/** The rows whose `keep` flag is set (benchmarks hold rows out this way). */
export function filterRows(table: PerfTable, keep: Uint8Array): PerfTable {
  let count = 0;
  for (let i = 0; i < table.rowCount; i++) if (keep[i]) count++;
  return selectRows(table, keep, count);
}

function selectRows(table: PerfTable, keep: Uint8Array, count: number): PerfTable {
  const strings = new Map<string, StringColumn>();
  const numbers = new Map<string, Float64Array>();
  for (const [name, col] of table.strings) {
    const codes = new Uint32Array(count);
    let j = 0;
    for (let i = 0; i < table.rowCount; i++) if (keep[i]) codes[j++] = col.codes[i]!;
    strings.set(name, { dict: col.dict, codes });
  }
  for (const [name, col] of table.numbers) {
    const values = new Float64Array(count);
    let j = 0;
    for (let i = 0; i < table.rowCount; i++) if (keep[i]) values[j++] = col[i]!;
    numbers.set(name, values);
  }
  return { ...table, rowCount: count, strings, numbers };
}

/** Value of a string cell. */
export function stringAt(table: PerfTable, column: string, row: number): string | undefined {
  const col = table.strings.get(column);
  return col ? col.dict[col.codes[row]!] : undefined;
}

/** Column names present, in canonical order (for export). */
export function presentColumns(table: PerfTable): string[] {
  return canonicalColumns(table.schema).filter((c) => table.strings.has(c) || table.numbers.has(c));
}

/** Distinct values of a string column (e.g. kernel sources for `db ls`). */
export function distinctStrings(table: PerfTable, column: string): string[] {
  const col = table.strings.get(column);
  if (!col) return [];
  const used = new Uint8Array(col.dict.length);
  for (let i = 0; i < col.codes.length; i++) used[col.codes[i]!] = 1;
  return col.dict.filter((_, i) => used[i]);
}
