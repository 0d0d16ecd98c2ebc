import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, UnknownNameError } from '../../src/common/index.js';
import { SystemRegistry } from '../../src/hardware/index.js';
import {
  listPerfData,
  loadTableFile,
  nearestVersion,
  newestVersion,
  type OpQuery,
  openPerfDatabase,
  scanPerfData,
} from '../../src/perfdb/index.js';
import {
  contextAttentionRows,
  gemmRows,
  tempDir,
  toCsv,
  writeCsv,
  writeCurrentParquetTree,
  writeLegacyCsvTree,
} from './perf-fixtures.js';

const h200 = new SystemRegistry().get('h200_sxm');
const quiet = () => {};

const QUERIES: OpQuery[] = [
  { kind: 'gemm', dtype: 'bfloat16', m: 100, n: 3000, k: 4096 },
  { kind: 'gemm', dtype: 'fp8', m: 64, n: 4096, k: 4096 },
  {
    kind: 'context_attention',
    batchSize: 3,
    isl: 700,
    prefix: 0,
    numHeads: 16,
    numKvHeads: 8,
    headDim: 128,
    windowSize: 0,
    attnDtype: 'bfloat16',
    kvCacheDtype: 'bfloat16',
  },
  {
    kind: 'generation_attention',
    batchSize: 8,
    kvLen: 1000,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 128,
    windowSize: 0,
    kvCacheDtype: 'bfloat16',
  },
  { kind: 'comm', op: 'all_gather', dtype: 'bfloat16', numGpus: 4, messageElements: 100_000 },
];

describe('perf data loaders and layouts', () => {
  let legacy: string;
  let current: string;
  beforeAll(() => {
    legacy = tempDir();
    writeLegacyCsvTree(legacy);
    current = tempDir();
    writeCurrentParquetTree(current);
  });

  it('answers the same from legacy CSV and current-layout parquet', async () => {
    const a = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.9.0',
      perfDataDir: legacy,
      mode: 'silicon',
    });
    const b = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.9.0',
      perfDataDir: current,
      mode: 'silicon',
    });
    for (const q of QUERIES) {
      const ra = a.query(q);
      const rb = b.query(q);
      expect(rb.latencyMs).toBeCloseTo(ra.latencyMs, 12);
      expect(rb.provenance).toBe(ra.provenance);
    }
    expect(a.hasTable('comm')).toBe(true);
    expect(a.hasTable('moe')).toBe(false);
  });

  it('picks the newest version when none is given', async () => {
    const db = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      perfDataDir: current,
      mode: 'silicon',
    });
    expect(db.version).toBe('0.10.0');
  });

  it('falls back to the nearest version with one warning', async () => {
    const warnings: string[] = [];
    const db = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.9.5',
      perfDataDir: legacy,
      mode: 'silicon',
      warn: (m) => warnings.push(m),
    });
    expect(db.version).toBe('0.9.0');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('nearest version 0.9.0');
  });

  it('picks the release closest to the one asked for, the older on a tie', () => {
    expect(nearestVersion('0.5.8', ['0.5.6.post2', '0.5.9'])).toBe('0.5.9');
    expect(nearestVersion('0.16.0', ['0.14.0', '0.18.0'])).toBe('0.14.0');
    expect(nearestVersion('1.3.0rc1', ['1.2.0rc5', '1.3.0rc10'])).toBe('1.3.0rc10');
    expect(nearestVersion('0.8.1.post1', ['1.3.0rc10', '1.2.0rc5'])).toBe('1.2.0rc5');
    expect(nearestVersion('0.12.0', ['0.14.0', '0.19.0'])).toBe('0.14.0');
    expect(nearestVersion('2.0', [])).toBeUndefined();
  });

  it('names the newest version by release order, not by spelling', () => {
    expect(newestVersion(['1.2.0', '0.5.10', '1.2.0rc5', '0.5.9'])).toBe('1.2.0');
    expect(newestVersion(new Set(['0.5.6.post2', '0.5.6']))).toBe('0.5.6.post2');
    expect(newestVersion([])).toBeUndefined();
  });

  it('names the known systems and backends for unknown ones', async () => {
    await expect(
      openPerfDatabase({
        system: new SystemRegistry().get('b200_sxm'),
        backend: 'vllm',
        perfDataDir: legacy,
        mode: 'silicon',
      }),
    ).rejects.toThrow(
      // How to fix it, for the flags and for exp files alike.
      /unknown system.*'b200_sxm'; known: h200_sxm\. point --perf-data at a folder that has it, or use --database-mode sol \(in an exp file: perf_data, database_mode\)/,
    );
    await expect(
      openPerfDatabase({
        system: h200,
        backend: 'trtllm',
        perfDataDir: legacy,
        mode: 'silicon',
        warn: quiet,
      }),
    ).rejects.toThrow(UnknownNameError);
    await expect(
      openPerfDatabase({ system: h200, backend: 'trtllm', perfDataDir: legacy, mode: 'silicon' }),
    ).rejects.toThrow(/known: vllm/);
  });

  it('needs no data in sol mode', async () => {
    const db = await openPerfDatabase({ system: h200, backend: 'none', perfDataDir: legacy, mode: 'sol' });
    expect(db.query(QUERIES[0]!).provenance).toBe('sol');
  });

  it('lists systems, backends, versions and tables with row counts', async () => {
    const entries = await listPerfData(current);
    const gemm = entries.find((e) => e.table === 'gemm' && e.version === '0.9.0')!;
    expect(gemm).toMatchObject({
      system: 'h200_sxm',
      backend: 'vllm',
      rows: gemmRows().length,
      format: 'parquet',
    });
    expect(gemm.kernelSources).toEqual(['torch']);
    expect(entries.some((e) => e.backend === 'nccl' && e.table === 'nccl')).toBe(true);
  });

  it('honours reuse.yaml at backend and version level', async () => {
    const root = tempDir();
    writeLegacyCsvTree(root);
    writeFileSync(join(root, 'h200_sxm', 'vllm', 'reuse.yaml'), "'0.11.0': '0.9.0'\n");
    mkdirSync(join(root, 'h200_sxm', 'vllm', '0.12.0'));
    writeFileSync(join(root, 'h200_sxm', 'vllm', '0.12.0', 'reuse.yaml'), "reuse: '0.10.0'\n");
    const a = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.11.0',
      perfDataDir: root,
      mode: 'silicon',
    });
    expect(a.version).toBe('0.11.0');
    expect(a.hasTable('context_attention')).toBe(true);
    const b = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      version: '0.12.0',
      perfDataDir: root,
      mode: 'silicon',
    });
    expect(b.hasTable('gemm')).toBe(true);
    expect(b.hasTable('context_attention')).toBe(false);
    const listed = await listPerfData(root);
    expect(listed.find((e) => e.version === '0.12.0')?.reusedFrom).toBe('0.10.0');
  });

  it('rejects a reuse.yaml naming a version without data', async () => {
    const root = tempDir();
    writeLegacyCsvTree(root);
    writeFileSync(join(root, 'h200_sxm', 'vllm', 'reuse.yaml'), "'0.11.0': '0.3.0'\n");
    await expect(listPerfData(root)).rejects.toThrow(/reuses '0.3.0'.*known: 0.9.0, 0.10.0/);
  });

  it('reports a malformed cell with file, line and column', async () => {
    const root = tempDir();
    const rows = gemmRows();
    rows[4] = { ...rows[4]!, m: 'abc' };
    const file = join(root, 'h200_sxm', 'vllm', '1.0.0', 'gemm_perf.txt');
    writeCsv(file, rows);
    const error = await openPerfDatabase({
      system: h200,
      backend: 'vllm',
      perfDataDir: root,
      mode: 'silicon',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe(`${file}: line 6, column 'm': 'abc' is not a number`);
  });

  it('names the expected columns for a file of the wrong schema', async () => {
    const root = tempDir();
    writeCsv(join(root, 'h200_sxm', 'vllm', '1.0.0', 'gemm_perf.txt'), contextAttentionRows());
    await expect(
      openPerfDatabase({ system: h200, backend: 'vllm', perfDataDir: root, mode: 'silicon' }),
    ).rejects.toThrow(
      /not a valid gemm table: missing column\(s\) gemm_dtype, m, n, k; expected columns: framework, version, device, op_name, kernel_source, gemm_dtype, m, n, k, latency/,
    );
  });

  it('defaults window_size for older files and keeps the latest of duplicate keys', async () => {
    const root = tempDir();
    const ctx = contextAttentionRows('vllm', '1.0.0', false);
    const duplicate = { ...ctx[0]!, latency: 123 };
    writeCsv(join(root, 'h200_sxm', 'vllm', '1.0.0', 'context_attention_perf.txt'), [...ctx, duplicate]);
    const db = await openPerfDatabase({ system: h200, backend: 'vllm', perfDataDir: root, mode: 'silicon' });
    const first = ctx[0]!;
    const result = db.query({
      kind: 'context_attention',
      batchSize: first['batch_size'] as number,
      isl: first['isl'] as number,
      prefix: 0,
      numHeads: first['num_heads'] as number,
      numKvHeads: 8,
      headDim: 128,
      windowSize: 0,
      attnDtype: 'bfloat16',
      kvCacheDtype: 'bfloat16',
    });
    expect(result).toMatchObject({ latencyMs: 123, provenance: 'measured' });
    expect(db.indexes.get('context_attention')!.table.duplicateKeys).toBe(1);
  });
});

describe('scanning a folder with broken corners', () => {
  it('skips dangling links instead of failing the whole scan', async () => {
    const root = tempDir();
    writeLegacyCsvTree(root);
    // A link to nowhere at system, backend and version level.
    symlinkSync(join(root, 'gone'), join(root, 'dangling_system'));
    symlinkSync(join(root, 'gone'), join(root, 'h200_sxm', 'dangling_backend'));
    symlinkSync(join(root, 'gone'), join(root, 'h200_sxm', 'vllm', '0.9.0', 'moe_perf.txt'));
    const entries = await listPerfData(root);
    expect(new Set(entries.map((e) => `${e.system}/${e.backend}/${e.version}`))).toEqual(
      new Set(['h200_sxm/vllm/0.9.0', 'h200_sxm/vllm/0.10.0', 'h200_sxm/nccl/2.21.5']),
    );
  });
});

describe('one-line messages for unreadable files', () => {
  /** The message `load` fails with, with the temp folder written as DIR (must be InvalidInputError). */
  async function failure(dir: string, load: () => Promise<unknown>): Promise<string> {
    const error = await load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message.replaceAll(dir, 'DIR');
  }

  const gemmCsv = (edit: (rows: ReturnType<typeof gemmRows>) => void) => {
    const rows = gemmRows();
    edit(rows);
    return toCsv(rows);
  };
  const files: [string, string, 'csv' | 'parquet', string | undefined, string][] = [
    ['a missing file', 'gemm_perf.txt', 'csv', undefined, 'DIR/gemm_perf.txt: cannot read (ENOENT)'],
    [
      'rows of the wrong length',
      'gemm_perf.txt',
      'csv',
      'a,b,c\n1,2\n',
      'DIR/gemm_perf.txt: not valid CSV (Invalid Record Length: expect 3, got 2 on line 2)',
    ],
    [
      'an unclosed quote',
      'gemm_perf.txt',
      'csv',
      'a,"b\n',
      'DIR/gemm_perf.txt: not valid CSV (Quote Not Closed: the parsing is finished with an opening quote at line 1)',
    ],
    [
      'an empty file',
      'gemm_perf.txt',
      'csv',
      '',
      'DIR/gemm_perf.txt: empty file; expected a header line and rows',
    ],
    [
      'a parquet file that is not parquet',
      'gemm_perf.parquet',
      'parquet',
      'not parquet at all',
      'DIR/gemm_perf.parquet: not a readable parquet file (parquet file invalid (footer != PAR1))',
    ],
    [
      'an empty text cell',
      'gemm_perf.txt',
      'csv',
      gemmCsv((rows) => Object.assign(rows[2]!, { kernel_source: ' ' })),
      "DIR/gemm_perf.txt: line 4, column 'kernel_source': empty cell; every row needs a value",
    ],
    [
      'an empty key cell',
      'gemm_perf.txt',
      'csv',
      gemmCsv((rows) => Object.assign(rows[0]!, { k: '' })),
      "DIR/gemm_perf.txt: line 2, column 'k': empty cell; expected a number",
    ],
    [
      'a fractional integer key',
      'gemm_perf.txt',
      'csv',
      gemmCsv((rows) => Object.assign(rows[9]!, { n: 1.5 })),
      "DIR/gemm_perf.txt: line 11, column 'n': '1.5' is not an integer",
    ],
  ];
  it.each(files)('for %s', async (_, name, format, content, message) => {
    const dir = tempDir();
    const file = join(dir, name);
    if (content !== undefined) writeFileSync(file, content);
    expect(await failure(dir, () => loadTableFile(file, 'gemm', format))).toBe(message);
  });

  const reuse: [string, 'backend' | 'version', string, string][] = [
    [
      'YAML that does not parse',
      'backend',
      'a: [\n',
      'DIR/h200_sxm/vllm/reuse.yaml: not valid YAML (Flow sequence in block collection must be sufficiently ' +
        'indented and end with a ] at line 2, column 1:)',
    ],
    [
      'neither form',
      'version',
      'reuse: [1, 2]\n',
      "DIR/h200_sxm/vllm/0.9.0/reuse.yaml: expected 'reuse: <version>' (in a version folder) or " +
        "'<version>: <other version>' lines",
    ],
    [
      "'reuse: <version>' at backend level",
      'backend',
      "reuse: '0.9.0'\n",
      "DIR/h200_sxm/vllm/reuse.yaml: 'reuse: <version>' belongs in a version folder; here map '<version>: <other>'",
    ],
  ];
  it.each(reuse)('for a reuse.yaml with %s', async (_, level, content, message) => {
    const root = tempDir();
    writeLegacyCsvTree(root);
    const folder = join(root, 'h200_sxm', 'vllm', ...(level === 'version' ? ['0.9.0'] : []));
    writeFileSync(join(folder, 'reuse.yaml'), content);
    expect(await failure(root, () => listPerfData(root))).toBe(message);
  });

  it('for a perf data directory that does not exist', async () => {
    const root = join(tempDir(), 'absent');
    expect(await failure(root, () => listPerfData(root))).toBe(
      "--perf-data 'DIR' does not exist; point it at an existing perf data folder",
    );
  });

  it('for a perf data path that is a file, naming the field a caller passes', async () => {
    const root = join(tempDir(), 'hostname');
    writeFileSync(root, 'not a folder\n');
    expect(await failure(root, () => listPerfData(root))).toBe(
      "--perf-data 'DIR' is a file, not a folder; point it at the folder that holds <system>/<backend>/<version>/ tables",
    );
    expect(await failure(root, async () => scanPerfData(root, 'experiments[2].perf_data'))).toMatch(
      /^experiments\[2\]\.perf_data 'DIR' is a file, not a folder;/,
    );
  });
});
