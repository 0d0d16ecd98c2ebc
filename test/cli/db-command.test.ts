import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import {
  gemmRows,
  tempDir,
  writeCsv,
  writeCurrentParquetTree,
  writeLegacyCsvTree,
} from '../perfdb/perf-fixtures.js';

const oneLine = (text: string) => text.trim().split('\n').length === 1;

describe('inferplan db', () => {
  let legacy: string;
  let current: string;
  beforeAll(() => {
    legacy = tempDir();
    writeLegacyCsvTree(legacy);
    current = tempDir();
    writeCurrentParquetTree(current);
  });

  it('ls lists systems x backends x versions x tables', async () => {
    const r = await runCli(['db', 'ls', '--perf-data', current]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/h200_sxm\s*│\s*vllm\s*│\s*0\.9\.0\s*│\s*gemm\s*│\s*416\s*│\s*torch/);
    expect(r.stdout).toMatch(/nccl\s*│\s*2\.21\.5\s*│\s*nccl/);
    const json = await runCli(['--json', 'db', 'ls', '--perf-data', current]);
    const entries = JSON.parse(json.stdout) as { table: string; rows: number }[];
    expect(entries.find((e) => e.table === 'generation_attention')?.rows).toBe(16);
  });

  it('query prints latency, provenance, SOL and % of SOL', async () => {
    const args = ['db', 'query', 'gemm', '--system', 'h200_sxm', '--backend', 'vllm', '--perf-data', legacy];
    const r = await runCli([
      ...args,
      '--version',
      '0.9.0',
      '--dtype',
      'bfloat16',
      '--m',
      '100',
      '--n',
      '4096',
      '--k',
      '4096',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('interpolated');
    expect(r.stdout).toMatch(/% of SOL\s*│\s*\d+\.\d%/);
    expect(r.stdout).toContain('gemm[bfloat16] n=4096 k=4096 m in [64,128]');
    const json = await runCli(['--json', ...args, '--m', '64', '--n', '4096', '--k', '4096']);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({ version: '0.10.0', provenance: 'measured', mode: 'silicon' });
    expect(parsed['latency_ms']).toBeGreaterThan(parsed['sol_ms'] as number);
  });

  it('query in sol mode needs no perf data', async () => {
    const r = await runCli([
      '--json',
      'db',
      'query',
      'comm',
      '--system',
      'b200_sxm',
      '--backend',
      'vllm',
      '--database-mode',
      'sol',
      '--perf-data',
      legacy,
      '--op',
      'all_reduce',
      '--gpus',
      '8',
      '--elements',
      '1048576',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ provenance: 'sol', sol_percent: 100 });
  });

  it('query explains a miss in silicon mode and suggests hybrid', async () => {
    const base = ['db', 'query', 'moe', '--system', 'h200_sxm', '--backend', 'vllm', '--perf-data', legacy];
    const shape = [
      '--tokens',
      '16',
      '--hidden',
      '4096',
      '--inter',
      '1536',
      '--topk',
      '8',
      '--experts',
      '128',
    ];
    const r = await runCli([...base, ...shape]);
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain('--database-mode hybrid');
    const hybrid = await runCli([...base, ...shape, '--database-mode', 'hybrid']);
    expect(hybrid.code).toBe(0);
    expect(hybrid.stdout).toContain('empirical');
  });

  it.each([
    [['--dtype', 'bf17'], /unknown dtype 'bf17'; known: bfloat16, float16/, 4],
    [['--system', 'h999'], /unknown system 'h999'; known: a100_sxm/, 4],
    [['--backend', 'tgi'], /unknown backend for h200_sxm 'tgi'; known: vllm/, 4],
    [
      ['--database-mode', 'magic'],
      /unknown database mode 'magic'; known: silicon, hybrid, empirical, sol/,
      4,
    ],
    [['--m', 'x'], /--m must be a positive integer, got 'x'/, 2],
    [['--m', '0'], /--m must be a positive integer, got '0'/, 2],
    [['--k', '-4'], /--k must be a positive integer, got '-4'/, 2],
    [['--version', 'latest'], /unknown vllm version 'latest'; known: 0.9.0, 0.10.0/, 4],
  ])('query rejects %s with one line', async (override, message, code) => {
    const args = new Map<string, string>([
      ['--system', 'h200_sxm'],
      ['--backend', 'vllm'],
      ['--perf-data', legacy],
      ['--dtype', 'bfloat16'],
      ['--m', '1'],
      ['--n', '1024'],
      ['--k', '1024'],
    ]);
    args.set(override[0]!, override[1]!);
    const r = await runCli(['db', 'query', 'gemm', ...[...args].flat()]);
    expect(r.code).toBe(code);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(message);
  });

  it('query names a missing shape flag and an unknown table', async () => {
    const r = await runCli([
      'db',
      'query',
      'gemm',
      '--system',
      'h200_sxm',
      '--backend',
      'vllm',
      '--perf-data',
      legacy,
      '--m',
      '1',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing --n <n>');
    const t = await runCli([
      'db',
      'query',
      'lora',
      '--system',
      'h200_sxm',
      '--backend',
      'vllm',
      '--perf-data',
      legacy,
    ]);
    expect(t.code).toBe(4);
    expect(t.stderr).toContain("unknown table 'lora'; known: gemm, context_attention");
  });

  it('a missing version falls back with a warning on stderr', async () => {
    const r = await runCli([
      'db',
      'query',
      'gemm',
      '--system',
      'h200_sxm',
      '--backend',
      'vllm',
      '--version',
      '0.9.7',
      '--perf-data',
      legacy,
      '--m',
      '64',
      '--n',
      '4096',
      '--k',
      '4096',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: no h200_sxm\/vllm 0\.9\.7 perf data; using the nearest version 0\.9\.0/,
    );
  });

  it('validate passes good data and fails bad data with exit code 10', async () => {
    const good = await runCli(['db', 'validate', legacy]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('5 table(s) checked: 5 passed, 0 failed');
    const bad = tempDir();
    const rows = gemmRows('vllm', '1.0.0', ['bfloat16']);
    rows[3] = { ...rows[3]!, latency: 0 };
    writeCsv(join(bad, 'h200_sxm', 'vllm', '1.0.0', 'gemm_perf.txt'), rows);
    const r = await runCli(['db', 'validate', bad]);
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/finite positive latency\s*│\s*FAIL\s*│\s*1 row\(s\), first at data row 4/);
    const json = await runCli(['--json', 'db', 'validate', bad]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false });
  });

  it('validate reports an unreadable file instead of crashing', async () => {
    const bad = tempDir();
    const rows = gemmRows('vllm', '1.0.0', ['bfloat16']);
    rows[3] = { ...rows[3]!, n: '4k' };
    writeCsv(join(bad, 'h200_sxm', 'vllm', '1.0.0', 'gemm_perf.txt'), rows);
    const r = await runCli(['db', 'validate', bad]);
    expect(r.code).toBe(10);
    expect(r.stdout).toContain("line 5, column 'n': '4k' is not a number");
  });

  it('import then export round-trips, and import of an empty folder says what it expected', async () => {
    const out = tempDir();
    const imported = await runCli(['db', 'import', current, '--out', out]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('5 table(s) written');
    expect(existsSync(join(out, 'h200_sxm', 'vllm', '0.9.0', 'gemm.ipdb'))).toBe(true);
    const csv = tempDir();
    const exported = await runCli(['db', 'export', out, '--format', 'csv', '--out', csv]);
    expect(exported.code).toBe(0);
    expect(existsSync(join(csv, 'h200_sxm', 'nccl', '2.21.5', 'nccl_perf.txt'))).toBe(true);
    const badFormat = await runCli(['db', 'export', out, '--format', 'xlsx', '--out', csv]);
    expect(badFormat.code).toBe(4);
    expect(badFormat.stderr).toContain("unknown export format 'xlsx'; known: csv");
    const empty = await runCli(['db', 'import', tempDir(), '--out', tempDir()]);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain('no perf tables found');
  });

  it('query takes 0 where it means "none" (prefix, window, kv heads)', async () => {
    const r = await runCli([
      'db',
      'query',
      'context_attention',
      '--system',
      'h200_sxm',
      '--backend',
      'vllm',
      '--version',
      '0.9.0',
      '--perf-data',
      legacy,
      '--isl',
      '128',
      '--heads',
      '32',
      '--prefix',
      '0',
      '--window',
      '0',
      '--kv-heads',
      '0',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('latency');
  });

  it('import writes nothing when one table is damaged, and leaves other files in --out alone', async () => {
    const source = tempDir();
    cpSync(legacy, source, { recursive: true });
    // generation_attention is converted after gemm and context_attention: those must not land.
    const damaged = join(source, 'h200_sxm', 'vllm', '0.9.0', 'generation_attention_perf.txt');
    writeFileSync(damaged, 'junk\n');
    const fresh = join(tempDir(), 'out');
    const r = await runCli(['db', 'import', source, '--out', fresh]);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain(damaged);
    expect(existsSync(fresh)).toBe(false);
    const existing = tempDir();
    writeFileSync(join(existing, 'keep.txt'), 'mine\n');
    const again = await runCli(['db', 'import', source, '--out', existing]);
    expect(again.code).toBe(3);
    expect(readdirSync(existing)).toEqual(['keep.txt']);
    expect(readFileSync(join(existing, 'keep.txt'), 'utf8')).toBe('mine\n');
  });

  it('import and export refuse a table with a header and no rows, naming it', async () => {
    const source = tempDir();
    cpSync(legacy, source, { recursive: true });
    const empty = join(source, 'h200_sxm', 'vllm', '0.10.0', 'gemm_perf.txt');
    writeFileSync(empty, `${readFileSync(empty, 'utf8').split('\n')[0]}\n`);
    for (const command of ['import', 'export']) {
      const out = join(tempDir(), 'out');
      const r = await runCli(['db', command, source, '--out', out]);
      expect(r.code).toBe(3);
      expect(oneLine(r.stderr)).toBe(true);
      expect(r.stderr).toContain(`${empty}: gemm table has no rows (header only)`);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('validate, import and export name their folder argument, not --perf-data', async () => {
    const file = join(tempDir(), 'a.txt');
    writeFileSync(file, 'x\n');
    for (const command of ['validate', 'import', 'export']) {
      const extra = command === 'validate' ? [] : ['--out', tempDir()];
      const missing = await runCli(['db', command, '/nonexistent/perf', ...extra]);
      expect(missing.code).toBe(3);
      expect(oneLine(missing.stderr)).toBe(true);
      expect(missing.stderr).toContain(`db ${command}: <dir> '/nonexistent/perf' does not exist`);
      expect(missing.stderr).not.toContain('--perf-data');
      const notFolder = await runCli(['db', command, file, ...extra]);
      expect(notFolder.code).toBe(3);
      expect(notFolder.stderr).toContain(`<dir> '${file}' is a file, not a folder`);
    }
    const ls = await runCli(['db', 'ls', '--perf-data', file]);
    expect(ls.stderr).toContain(`db ls: --perf-data '${file}' is a file, not a folder`);
  });

  it('ls of a missing folder is one line with exit code 3', async () => {
    const r = await runCli(['db', 'ls', '--perf-data', '/nonexistent/perf']);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toBe(true);
  });
});
