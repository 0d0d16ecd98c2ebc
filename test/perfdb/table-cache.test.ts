// The decoded-table cache: a second load reads the binary entry, a changed source misses it, a
// damaged entry is rebuilt, and caching off writes nothing.
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBinaryTable } from '../../src/perfdb/binary-format.js';
import { loadTableFile, type PerfTable } from '../../src/perfdb/index.js';
import { tableCacheDir } from '../../src/perfdb/table-cache.js';
import { gemmRows, tempDir, writeCsv, writeParquet } from './perf-fixtures.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

const latencies = (t: PerfTable) => [...t.numbers.get('latency')!];

describe('perf table cache', () => {
  it('serves a second load from its entry, naming the source file, and misses a changed file', async () => {
    const cache = tempDir('cache-');
    process.env['INFERPLAN_CACHE'] = 'on';
    process.env['INFERPLAN_CACHE_DIR'] = cache;
    const file = join(tempDir(), 'gemm_perf.parquet');
    writeParquet(file, gemmRows());
    const first = await loadTableFile(file, 'gemm', 'parquet');
    const entries = readdirSync(cache);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^[0-9a-f]{32}\.ipdb$/);
    // The entry is what the second load reads: one holding doubled latencies comes back doubled.
    const doubled = new Map(first.numbers);
    doubled.set(
      'latency',
      first.numbers.get('latency')!.map((v) => 2 * v),
    );
    const provenance = { importedFrom: file, sourceFormat: 'parquet', importedAt: '', tool: 'test' };
    writeFileSync(
      join(cache, entries[0]!),
      encodeBinaryTable({ ...first, numbers: doubled }, provenance, 'none'),
    );
    const second = await loadTableFile(file, 'gemm', 'parquet');
    expect(second.source).toEqual({ file, format: 'parquet' });
    expect(second.rowCount).toBe(first.rowCount);
    expect(latencies(second)).toEqual(latencies(first).map((v) => 2 * v));
    expect([...second.strings.keys()].sort()).toEqual([...first.strings.keys()].sort());
    // A rewritten source (other size and time) is a new key: decoded again, a second entry.
    writeParquet(file, gemmRows('vllm', '0.9.0', ['bfloat16']));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const changed = await loadTableFile(file, 'gemm', 'parquet');
    expect(changed.rowCount).toBeLessThan(first.rowCount);
    expect(readdirSync(cache)).toHaveLength(2);
  });

  it('rebuilds a damaged entry and writes nothing when caching is off', async () => {
    const cache = tempDir('cache-');
    process.env['INFERPLAN_CACHE_DIR'] = cache;
    delete process.env['INFERPLAN_CACHE'];
    const file = join(tempDir(), 'gemm_perf.txt');
    writeCsv(file, gemmRows());
    const good = await loadTableFile(file, 'gemm', 'csv');
    const entry = join(cache, readdirSync(cache)[0]!);
    writeFileSync(entry, 'not a table');
    const again = await loadTableFile(file, 'gemm', 'csv');
    expect(latencies(again)).toEqual(latencies(good));
    expect(readFileSync(entry).subarray(0, 8).toString('latin1')).toBe('IPDBTAB1');

    process.env['INFERPLAN_CACHE'] = 'off';
    expect(tableCacheDir()).toBeUndefined();
    const other = join(tempDir(), 'gemm_perf.txt');
    writeCsv(other, gemmRows());
    await loadTableFile(other, 'gemm', 'csv');
    expect(readdirSync(cache)).toHaveLength(1);
  });

  it('loads the table when the cache cannot be written (a file where its folder should be)', async () => {
    // Root ignores permission bits, so an unwritable cache is a path under a plain file.
    const blocker = join(tempDir('cache-'), 'not-a-folder');
    writeFileSync(blocker, 'x');
    process.env['INFERPLAN_CACHE'] = 'on';
    process.env['INFERPLAN_CACHE_DIR'] = join(blocker, 'cache');
    const file = join(tempDir(), 'gemm_perf.parquet');
    writeParquet(file, gemmRows());
    const table = await loadTableFile(file, 'gemm', 'parquet');
    delete process.env['INFERPLAN_CACHE_DIR'];
    process.env['INFERPLAN_CACHE'] = 'off';
    const direct = await loadTableFile(file, 'gemm', 'parquet');
    expect(latencies(table)).toEqual(latencies(direct));
    expect(readFileSync(blocker, 'utf8')).toBe('x');
  });
});
