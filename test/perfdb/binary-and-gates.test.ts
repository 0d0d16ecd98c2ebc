import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/common/index.js';
import { SystemRegistry } from '../../src/hardware/index.js';
import { encodeBinaryTable } from '../../src/perfdb/binary-format.js';
import {
  checkPerfFile,
  checkPerfTable,
  exportPerfDataCsv,
  importPerfData,
  listPerfData,
  loadTableFile,
  type OpQuery,
  openPerfDatabase,
  validatePerfData,
} from '../../src/perfdb/index.js';
import {
  gemmRows,
  ncclRows,
  type Row,
  tempDir,
  writeCsv,
  writeCurrentParquetTree,
  writeLegacyCsvTree,
} from './perf-fixtures.js';

const registry = new SystemRegistry();
const h200 = registry.get('h200_sxm');

const QUERIES: OpQuery[] = [
  { kind: 'gemm', dtype: 'bfloat16', m: 100, n: 3000, k: 4096 },
  { kind: 'gemm', dtype: 'fp8', m: 4096, n: 8192, k: 1024 },
  { kind: 'comm', op: 'all_reduce', dtype: 'bfloat16', numGpus: 4, messageElements: 77_777 },
];

describe('embedded binary format, import and export', () => {
  let source: string;
  let embedded: string;
  beforeAll(async () => {
    source = tempDir();
    writeCurrentParquetTree(source);
    embedded = tempDir();
    await importPerfData(source, embedded);
  });

  it('imports into <system>/<backend>/<version>/<table>.ipdb and answers identically', async () => {
    const listed = await listPerfData(embedded);
    expect(listed.every((e) => e.format === 'ipdb')).toBe(true);
    expect(listed.map((e) => `${e.backend}/${e.version}/${e.table}`)).toContain('nccl/2.21.5/nccl');
    const a = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.9.0',
      perfDataDir: source,
      mode: 'silicon',
    });
    const b = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.9.0',
      perfDataDir: embedded,
      mode: 'silicon',
    });
    for (const q of QUERIES) expect(b.query(q)).toEqual(a.query(q));
  });

  it('round-trips every cell through export to CSV', async () => {
    const csv = tempDir();
    await exportPerfDataCsv(embedded, csv);
    const file = join(csv, 'h200_sxm', 'vllm', '0.9.0', 'gemm_perf.txt');
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe(
      'framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency',
    );
    const original = await loadTableFile(
      join(source, 'h200_sxm', 'gemm', 'vllm', '0.9.0', 'gemm_perf.parquet'),
      'gemm',
      'parquet',
    );
    const back = await loadTableFile(file, 'gemm', 'csv');
    expect(back.rowCount).toBe(original.rowCount);
    const key = (t: typeof back, r: number) =>
      ['m', 'n', 'k', 'latency'].map((c) => t.numbers.get(c)![r]).join(',') +
      t.strings.get('gemm_dtype')!.dict[t.strings.get('gemm_dtype')!.codes[r]!];
    const rows = (t: typeof back) => Array.from({ length: t.rowCount }, (_, r) => key(t, r)).sort();
    expect(rows(back)).toEqual(rows(original));
  });

  it('keeps reuse.yaml aliases as aliases', async () => {
    const root = tempDir();
    writeLegacyCsvTree(root);
    writeFileSync(join(root, 'h200_sxm', 'vllm', 'reuse.yaml'), "'0.11.0': '0.9.0'\n");
    const out = tempDir();
    await importPerfData(root, out);
    expect(readFileSync(join(out, 'h200_sxm', 'vllm', '0.11.0', 'reuse.yaml'), 'utf8')).toContain(
      "reuse: '0.9.0'",
    );
    const db = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.11.0',
      perfDataDir: out,
      mode: 'silicon',
    });
    expect(db.hasTable('context_attention')).toBe(true);
  });

  it('rejects a damaged binary file with a one-line message', async () => {
    const file = join(embedded, 'h200_sxm', 'vllm', '0.9.0', 'gemm.ipdb');
    const damaged = tempDir();
    const copy = join(damaged, 'gemm.ipdb');
    writeFileSync(copy, readFileSync(file).subarray(0, 40));
    await expect(loadTableFile(copy, 'gemm', 'ipdb')).rejects.toThrow(
      /gemm.ipdb: not a valid inferplan perf table/,
    );
  });
});

describe('malformed binary tables', () => {
  const provenance = { importedFrom: 'nccl_perf.txt', sourceFormat: 'csv', importedAt: '', tool: 'test' };
  let dir: string;
  let nccl: Awaited<ReturnType<typeof loadTableFile>>;
  beforeAll(async () => {
    dir = tempDir();
    const csv = join(dir, 'nccl_perf.txt');
    writeCsv(csv, ncclRows());
    nccl = await loadTableFile(csv, 'nccl', 'csv');
  });

  /** The message loading `bytes` as an nccl table fails with (it must be an InvalidInputError). */
  async function failure(bytes: Uint8Array, table: 'nccl' | 'gemm' = 'nccl'): Promise<string> {
    const file = join(dir, 'nccl.ipdb');
    writeFileSync(file, bytes);
    const error = await loadTableFile(file, table, 'ipdb').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message.replace(file, 'FILE');
  }

  /** A valid encoding with its JSON header edited (the body is kept, re-aligned). */
  function withHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => void): Uint8Array {
    const length = Buffer.from(bytes).readUInt32LE(8);
    const header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + length)).toString('utf8'));
    edit(header);
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const bodyStart = (12 + json.byteLength + 7) & ~7;
    const out = new Uint8Array(bodyStart + bytes.byteLength - ((12 + length + 7) & ~7));
    out.set(bytes.subarray(0, 8));
    Buffer.from(out.buffer).writeUInt32LE(json.byteLength, 8);
    out.set(json, 12);
    out.set(bytes.subarray((12 + length + 7) & ~7), bodyStart);
    return out;
  }
  type Columns = { name: string; offset: number; byteLength: number }[];
  const column = (header: Record<string, unknown>, name: string) =>
    (header['columns'] as Columns).find((c) => c.name === name)!;

  it('rejects a file without the latency column in one line, like CSV and parquet', async () => {
    const numbers = new Map(nccl.numbers);
    numbers.delete('latency');
    const table = { ...nccl, numbers, fileColumns: nccl.fileColumns.filter((c) => c !== 'latency') };
    expect(await failure(encodeBinaryTable(table, provenance))).toBe(
      'FILE: not a valid nccl table: missing column(s) latency; expected columns: framework, version, ' +
        'device, op_name, kernel_source, nccl_dtype, num_gpus, message_size, latency, power, power_limit ' +
        '(power, power_limit and defaulted keys optional)',
    );
    // Present in the body but not in the file's own column list (export writes that list).
    const unlisted = withHeader(encodeBinaryTable(nccl, provenance), (h) => {
      h['fileColumns'] = (h['fileColumns'] as string[]).filter((c) => c !== 'device');
    });
    expect(await failure(unlisted)).toMatch(/^FILE: not a valid nccl table: missing column\(s\) device; /);
  });

  const damaged = (what: string) =>
    `FILE: not a valid inferplan perf table (${what}); re-run 'inferplan db import'`;
  const cases: [string, (valid: Uint8Array, raw: Uint8Array) => Uint8Array, string, ('gemm' | 'nccl')?][] = [
    ['wrong magic bytes', (v) => Uint8Array.from(v, (b, i) => (i === 0 ? 0x58 : b)), 'wrong magic bytes'],
    ['a header length past the end', (v) => v.subarray(0, 20), 'truncated header'],
    [
      'a header that is not JSON',
      (v) => Uint8Array.from(v, (b, i) => (i === 12 ? 0x21 : b)),
      'header is not JSON',
    ],
    [
      'an invalid header field',
      (v) => withHeader(v, (h) => Object.assign(h, { rowCount: -1 })),
      "header field 'rowCount' invalid",
    ],
    ['another table', (v) => v, "holds table 'nccl', expected 'gemm'", 'gemm'],
    [
      'a corrupt compressed body',
      (v) => withHeader(v, () => {}).map((b, i, all) => (i >= all.length - 64 ? b ^ 0xff : b)),
      'corrupt compressed body',
    ],
    [
      'a column past the end',
      (_, raw) => withHeader(raw, (h) => Object.assign(column(h, 'latency'), { offset: 1e9 })),
      "column 'latency' runs past the end",
    ],
    [
      'a column of the wrong length',
      (_, raw) => withHeader(raw, (h) => Object.assign(column(h, 'num_gpus'), { byteLength: 4 })),
      "column 'num_gpus' has the wrong length",
    ],
  ];
  it.each(cases)('rejects %s in one line', async (_, damage, what, table) => {
    const valid = encodeBinaryTable(nccl, provenance);
    const raw = encodeBinaryTable(nccl, provenance, 'none');
    expect(await failure(damage(valid, raw), table)).toBe(damaged(what));
  });
});

describe('quality gates', () => {
  it('passes clean synthetic data', async () => {
    const root = tempDir();
    writeLegacyCsvTree(root);
    const report = await validatePerfData(root, (name) => registry.get(name));
    expect(report.ok).toBe(true);
    expect(report.tables.length).toBe(5);
  });

  it('fails bad latency, mixed versions, power over the limit and faster-than-SOL points', async () => {
    const root = tempDir();
    const rows: Row[] = gemmRows('vllm', '1.0.0', ['bfloat16']).map((r) => ({
      ...r,
      power: 500,
      power_limit: 700,
    }));
    rows[0] = { ...rows[0]!, latency: -1 };
    rows[1] = { ...rows[1]!, version: '1.0.1' };
    rows[2] = { ...rows[2]!, power: 900 };
    rows[rows.length - 1] = { ...rows[rows.length - 1]!, latency: 1e-6 };
    const file = join(root, 'h200_sxm', 'vllm', '1.0.0', 'gemm_perf.txt');
    writeCsv(file, rows);
    const table = await loadTableFile(file, 'gemm', 'csv');
    const results = checkPerfTable(table, h200);
    const status = Object.fromEntries(results.map((r) => [r.gate, r.status]));
    expect(status).toMatchObject({
      'consistent version': 'fail',
      'consistent framework': 'pass',
      'finite positive latency': 'fail',
      'power vs limit': 'fail',
      'not faster than SOL': 'fail',
      'monotone within noise': 'warn',
    });
    const report = await validatePerfData(root, (name) => registry.get(name));
    expect(report.ok).toBe(false);
    const single = await checkPerfFile(file, h200);
    expect(single).toMatchObject({ table: 'gemm', ok: false, rows: rows.length });
    const notATable = await checkPerfFile(join(root, 'notes.txt'));
    expect(notATable.results[0]!.detail).toContain('not a perf table file name');
  });
});
