// Our storage format for the embedded perf database: one columnar binary file per table
// (`<table>.ipdb`) with a small JSON header carrying provenance. See docs/perf-database.md for
// the layout and the measurements behind choosing it over parquet and CSV.
//
// Layout: 8-byte magic "IPDBTAB1", uint32 LE header length, header JSON (utf8), zero padding to a
// multiple of 8, then the body: each column's bytes at its header offset (8-aligned), optionally
// gzip-compressed as a whole (header.compression).
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { InvalidInputError } from '../common/index.js';
import { assertRequiredColumns, type PerfTable, type StringColumn } from './perf-table.js';
import { TABLE_SCHEMAS, type TableName } from './table-schemas.js';

const MAGIC = 'IPDBTAB1';
export const BINARY_FORMAT_VERSION = 1;

const ColumnEntrySchema = z.object({
  name: z.string(),
  encoding: z.enum(['dict8', 'dict16', 'dict32', 'i32', 'f32', 'f64']),
  dict: z.array(z.string()).optional(),
  offset: z.number().int().nonnegative(),
  byteLength: z.number().int().nonnegative(),
});

export const BinaryProvenanceSchema = z.object({
  importedFrom: z.string(),
  sourceFormat: z.string(),
  importedAt: z.string(),
  tool: z.string(),
});
export type BinaryProvenance = z.infer<typeof BinaryProvenanceSchema>;

const HeaderSchema = z.object({
  format: z.literal('inferplan-perf-table'),
  formatVersion: z.literal(BINARY_FORMAT_VERSION),
  table: z.string(),
  rowCount: z.number().int().nonnegative(),
  duplicateKeys: z.number().int().nonnegative(),
  fileColumns: z.array(z.string()),
  compression: z.enum(['none', 'gzip']),
  provenance: BinaryProvenanceSchema,
  columns: z.array(ColumnEntrySchema),
});
type ColumnEntry = z.infer<typeof ColumnEntrySchema>;

const align8 = (n: number) => (n + 7) & ~7;

function isInt32Column(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) return false;
  }
  return true;
}

/** Serialise a table; `compression` 'gzip' trades ~1/3 of the size for a few ms of inflate. */
export function encodeBinaryTable(
  table: PerfTable,
  provenance: BinaryProvenance,
  compression: 'none' | 'gzip' = 'gzip',
): Uint8Array {
  const entries: ColumnEntry[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  const push = (entry: Omit<ColumnEntry, 'offset' | 'byteLength'>, bytes: Uint8Array) => {
    entries.push({ ...entry, offset, byteLength: bytes.byteLength });
    parts.push(bytes);
    offset = align8(offset + bytes.byteLength);
  };
  for (const [name, col] of table.strings) {
    const n = col.dict.length;
    const codes =
      n <= 256
        ? Uint8Array.from(col.codes)
        : n <= 65536
          ? Uint16Array.from(col.codes)
          : Uint32Array.from(col.codes);
    const encoding = n <= 256 ? 'dict8' : n <= 65536 ? 'dict16' : 'dict32';
    push(
      { name, encoding, dict: [...col.dict] },
      new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength),
    );
  }
  for (const [name, values] of table.numbers) {
    const isKey = name !== 'latency' && name !== 'power' && name !== 'power_limit';
    if (isKey && isInt32Column(values)) {
      const ints = Int32Array.from(values);
      push({ name, encoding: 'i32' }, new Uint8Array(ints.buffer));
    } else {
      push({ name, encoding: 'f64' }, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  const body = new Uint8Array(offset);
  parts.forEach((bytes, i) => {
    body.set(bytes, entries[i]!.offset);
  });
  const header = {
    format: 'inferplan-perf-table',
    formatVersion: BINARY_FORMAT_VERSION,
    table: table.schema.name,
    rowCount: table.rowCount,
    duplicateKeys: table.duplicateKeys,
    fileColumns: [...table.fileColumns],
    compression,
    provenance,
    columns: entries,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const stored = compression === 'gzip' ? gzipSync(body, { level: 6 }) : body;
  const bodyStart = align8(12 + headerBytes.byteLength);
  const out = new Uint8Array(bodyStart + stored.byteLength);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  new DataView(out.buffer).setUint32(8, headerBytes.byteLength, true);
  out.set(headerBytes, 12);
  out.set(stored, bodyStart);
  return out;
}

function bad(file: string, message: string): never {
  throw new InvalidInputError(
    `${file}: not a valid inferplan perf table (${message}); re-run 'inferplan db import'`,
  );
}

export function readBinaryHeader(
  file: string,
  bytes: Uint8Array,
): z.infer<typeof HeaderSchema> & { bodyStart: number } {
  if (bytes.byteLength < 12 || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== MAGIC)
    bad(file, 'wrong magic bytes');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + length > bytes.byteLength) bad(file, 'truncated header');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.subarray(12, 12 + length)).toString('utf8'));
  } catch {
    bad(file, 'header is not JSON');
  }
  const parsed = HeaderSchema.safeParse(json);
  if (!parsed.success) bad(file, `header field '${parsed.error.issues[0]!.path.join('.')}' invalid`);
  return { ...parsed.data, bodyStart: align8(12 + length) };
}

export function readBinaryTable(file: string, expected: TableName): PerfTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new InvalidInputError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const header = readBinaryHeader(file, bytes);
  if (header.table !== expected) bad(file, `holds table '${header.table}', expected '${expected}'`);
  let body: Uint8Array = bytes.subarray(header.bodyStart);
  if (header.compression === 'gzip') {
    try {
      body = gunzipSync(body);
    } catch {
      bad(file, 'corrupt compressed body');
    }
  }
  // Typed-array views need 8-byte alignment of the underlying offset.
  if (body.byteOffset % 8 !== 0) body = Uint8Array.from(body);
  const strings = new Map<string, StringColumn>();
  const numbers = new Map<string, Float64Array>();
  const n = header.rowCount;
  for (const col of header.columns) {
    if (col.offset + col.byteLength > body.byteLength) bad(file, `column '${col.name}' runs past the end`);
    const at = body.byteOffset + col.offset;
    const width = { dict8: 1, dict16: 2, dict32: 4, i32: 4, f32: 4, f64: 8 }[col.encoding];
    if (col.byteLength !== n * width) bad(file, `column '${col.name}' has the wrong length`);
    switch (col.encoding) {
      case 'dict8':
        strings.set(col.name, {
          dict: col.dict ?? [],
          codes: Uint32Array.from(new Uint8Array(body.buffer, at, n)),
        });
        break;
      case 'dict16':
        strings.set(col.name, {
          dict: col.dict ?? [],
          codes: Uint32Array.from(new Uint16Array(body.buffer, at, n)),
        });
        break;
      case 'dict32':
        strings.set(col.name, {
          dict: col.dict ?? [],
          codes: new Uint32Array(body.buffer.slice(at, at + n * 4)),
        });
        break;
      case 'i32':
        numbers.set(col.name, Float64Array.from(new Int32Array(body.buffer, at, n)));
        break;
      case 'f32':
        numbers.set(col.name, Float64Array.from(new Float32Array(body.buffer, at, n)));
        break;
      case 'f64':
        numbers.set(col.name, new Float64Array(body.buffer.slice(at, at + n * 8)));
        break;
    }
  }
  // The columns a CSV or parquet file must have, each stored with its type and named in the
  // file's column list (which export reads), as every table the encoder writes has them.
  const schema = TABLE_SCHEMAS[expected];
  const numeric = new Set([
    'latency',
    ...schema.keyColumns.filter((c) => c.type === 'int').map((c) => c.name),
  ]);
  assertRequiredColumns(
    schema,
    (c) => header.fileColumns.includes(c) && (numeric.has(c) ? numbers : strings).has(c),
    file,
  );
  return {
    schema,
    rowCount: n,
    strings,
    numbers,
    source: { file, format: 'ipdb', importedFrom: header.provenance.importedFrom },
    duplicateKeys: header.duplicateKeys,
    fileColumns: header.fileColumns,
  };
}
