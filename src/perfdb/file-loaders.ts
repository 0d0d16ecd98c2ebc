// Readers for the three on-disk formats of one perf table: CSV (`*_perf.txt`), parquet and our own binary.
import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InvalidInputError } from '../common/index.js';
import { readBinaryTable } from './binary-format.js';
import { buildPerfTable, type PerfTable } from './perf-table.js';
import { cachedTable } from './table-cache.js';
import { type PerfFileFormat, TABLE_SCHEMAS, type TableName } from './table-schemas.js';

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new InvalidInputError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function loadCsvTable(file: string, table: TableName): PerfTable {
  const text = readBytes(file).toString('utf8');
  let records: string[][];
  try {
    records = parseCsv(text, { skip_empty_lines: true, trim: true, relax_quotes: true }) as string[][];
  } catch (error) {
    throw new InvalidInputError(`${file}: not valid CSV (${(error as Error).message.split('\n')[0]})`);
  }
  const header = records[0];
  if (!header) throw new InvalidInputError(`${file}: empty file; expected a header line and rows`);
  const columns = new Map<string, string[]>();
  const body = records.length - 1;
  header.forEach((name, c) => {
    const values = new Array<string>(body);
    for (let r = 0; r < body; r++) values[r] = records[r + 1]![c]!;
    columns.set(name, values);
  });
  return buildPerfTable(TABLE_SCHEMAS[table], columns, body, { file, format: 'csv' }, header);
}

export async function loadParquetTable(file: string, table: TableName): Promise<PerfTable> {
  const bytes = readBytes(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rowCount: number;
  let names: string[];
  const columns = new Map<string, unknown[] | ArrayLike<unknown>>();
  try {
    const metadata = parquetMetadata(buffer);
    rowCount = Number(metadata.num_rows);
    names = metadata.schema.slice(1).map((s) => s.name);
    await parquetRead({
      file: buffer,
      metadata,
      compressors,
      onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
        // One chunk per row group; a single-group file hands us the whole column at once.
        if (rowStart === 0 && rowEnd === rowCount && !columns.has(columnName)) {
          columns.set(columnName, columnData as ArrayLike<unknown>);
          return;
        }
        let target = columns.get(columnName) as unknown[] | undefined;
        if (!Array.isArray(target)) {
          const previous = target as ArrayLike<unknown> | undefined;
          target = new Array<unknown>(rowCount);
          if (previous) for (let i = 0; i < previous.length; i++) target[i] = previous[i];
          columns.set(columnName, target);
        }
        for (let i = rowStart; i < rowEnd; i++) target[i] = (columnData as ArrayLike<unknown>)[i - rowStart];
      },
    });
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(`${file}: not a readable parquet file (${(error as Error).message})`);
  }
  return buildPerfTable(TABLE_SCHEMAS[table], columns, rowCount, { file, format: 'parquet' }, names);
}

/**
 * The smallest positive latency of a parquet table, read from that one column: no call of the
 * table is faster, so neither is its 5th percentile. 0 (no bound) when the column is missing, holds
 * anything but numbers, or the file does not read; loading the table then reports the problem.
 */
export async function parquetLatencyFloorMs(file: string): Promise<number> {
  try {
    const bytes = readFileSync(file);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const metadata = parquetMetadata(buffer);
    let count = 0;
    let numeric = true;
    let floor = Number.POSITIVE_INFINITY;
    await parquetRead({
      file: buffer,
      metadata,
      compressors,
      columns: ['latency'],
      onChunk: ({ columnName, columnData }) => {
        if (columnName !== 'latency') return;
        for (let i = 0; i < columnData.length; i++) {
          const raw = columnData[i];
          if (typeof raw !== 'number' && typeof raw !== 'bigint') numeric = false;
          const v = Number(raw);
          if (v > 0 && Number.isFinite(v) && v < floor) floor = v;
        }
        count += columnData.length;
      },
    });
    return numeric && count === Number(metadata.num_rows) ? floor : 0;
  } catch {
    return 0;
  }
}

export async function loadTableFile(
  file: string,
  table: TableName,
  format: PerfFileFormat,
): Promise<PerfTable> {
  if (format === 'csv') return cachedTable(file, table, 'csv', () => loadCsvTable(file, table));
  if (format === 'parquet') return cachedTable(file, table, 'parquet', () => loadParquetTable(file, table));
  return readBinaryTable(file, table);
}
