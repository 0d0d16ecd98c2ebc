// The collector's user-facing mistakes: one line naming the file or flag, and the typed error's exit code.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpCheckpoint } from '../../src/collect/checkpoint.js';
import { mergeCollections, OP_REGISTRY, savePlanFile } from '../../src/collect/index.js';
import { readTable, writeTable } from '../../src/collect/table-writer.js';
import { InvalidInputError, UsageError } from '../../src/common/index.js';
import { runCli } from '../helpers/run-cli.js';
import { smallPlan, tempDir } from './campaign-helpers.js';

async function failsWith(args: string[], code: number, text: string): Promise<void> {
  const result = await runCli(args);
  expect(result.code).toBe(code);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toContain(text);
}

describe('collect flags', () => {
  it('names the bad flag and exits 2', async () => {
    const plan = ['collect', '--ops', 'gemm', '--plan-only'];
    await failsWith([...plan, '--backend', 'jax'], 2, "--backend: unknown backend 'jax'; known: torch");
    await failsWith([...plan, '--grid', 'huge'], 2, "--grid must be one of full, compact, got 'huge'");
    await failsWith([...plan, '--gpus', '0,a'], 2, "--gpus must list CUDA device ids like 0,1, got '0,a'");
    await failsWith([...plan, '--shards', '2'], 2, '--shards and --shard-index go together');
    await failsWith([...plan, '--limit', 'ten'], 2, "--limit must be an integer >= 1, got 'ten'");
    await failsWith([...plan, '--limit', '0'], 2, "--limit must be an integer >= 1, got '0'");
  });
});

describe('--plan-file', () => {
  it('refuses a file that is not JSON, not a plan, or whose case ids do not match their params (exit 3)', async () => {
    const dir = tempDir('planfile');
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, 'gemm: 1\n');
    await failsWith(
      ['collect', '--plan-file', notJson, '--plan-only'],
      3,
      `--plan-file ${notJson}: cannot read a JSON plan`,
    );
    const notPlan = join(dir, 'other.json');
    writeFileSync(notPlan, JSON.stringify({ hello: 'world' }));
    await failsWith(
      ['collect', '--plan-file', notPlan, '--plan-only'],
      3,
      `--plan-file ${notPlan}: not an inferplan plan`,
    );
    const edited = join(dir, 'edited.json');
    savePlanFile(edited, 'torch', smallPlan());
    const body = JSON.parse(readFileSync(edited, 'utf8')) as {
      ops: { cases: { id: string; params: Record<string, unknown> }[] }[];
    };
    const first = body.ops[0]!.cases[0]!;
    first.params['m'] = 999;
    writeFileSync(edited, JSON.stringify(body));
    await failsWith(
      ['collect', '--plan-file', edited, '--plan-only'],
      3,
      `--plan-file ${edited}: case ${first.id} of gemm does not match its params`,
    );
  });
});

describe('collect merge', () => {
  it('needs inputs that exist and hold tables (exit 2)', async () => {
    const dir = tempDir('merge-errors');
    expect(() => mergeCollections([], join(dir, 'out'))).toThrow(
      new UsageError('collect merge needs at least one input folder'),
    );
    const missing = join(dir, 'nope');
    await failsWith(
      ['collect', 'merge', missing, '--out', join(dir, 'out')],
      2,
      `collect merge: no such folder ${missing}`,
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await failsWith(
      ['collect', 'merge', empty, '--out', join(dir, 'out')],
      2,
      `collect merge: ${empty} holds no *_perf.txt tables`,
    );
  });
});

describe('files the collector reads back', () => {
  it('says a corrupt checkpoint is not JSON and how to start over', () => {
    const dir = tempDir('ck-corrupt');
    writeFileSync(join(dir, 'gemm.checkpoint.json'), '{"meta":\n');
    expect(() => OpCheckpoint.load(dir, 'gemm')).toThrow(InvalidInputError);
    try {
      OpCheckpoint.load(dir, 'gemm');
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
    expect(() => OpCheckpoint.load(dir, 'gemm')).toThrow(
      /gemm\.checkpoint\.json: not valid JSON .*delete it to start over/,
    );
    writeFileSync(join(dir, 'gemm.checkpoint.json'), '{"meta": 1}');
    expect(() => OpCheckpoint.load(dir, 'gemm')).toThrow(
      /gemm\.checkpoint\.json: not an inferplan checkpoint/,
    );
  });

  it('names an unreadable CSV table', () => {
    const path = join(tempDir('csv'), 'gemm_perf.txt');
    writeFileSync(path, 'm,n,latency\n1,"2,0.5\n');
    expect(() => readTable(path)).toThrow(InvalidInputError);
    expect(() => readTable(path)).toThrow(`${path}: not a readable CSV table`);
  });

  it('will not merge new rows into a damaged table, which would drop its rows unseen', () => {
    const dir = tempDir('damaged-table');
    const path = join(dir, 'gemm_perf.txt');
    writeFileSync(path, 'junk\n');
    const row = {
      framework: 'torch',
      version: '2.11.0',
      device: 'NVIDIA H200',
      op_name: 'gemm',
      kernel_source: 'torch_linear',
      gemm_dtype: 'bfloat16',
      m: '1',
      n: '256',
      k: '256',
      latency: '0.01',
    };
    expect(() => writeTable(dir, OP_REGISTRY.gemm, [row])).toThrow(
      `${path} line 1: not a gemm table, its header lacks framework, version, device`,
    );
    expect(readFileSync(path, 'utf8')).toBe('junk\n');
  });

  it('names a collection_meta.yaml that does not parse when merging', () => {
    const dir = tempDir('merge-meta');
    const tables = join(dir, 'in', 'h200_sxm', 'torch', '2.11.0');
    mkdirSync(tables, { recursive: true });
    writeFileSync(
      join(tables, 'gemm_perf.txt'),
      'framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency\ntorch,2.11.0,NVIDIA H200,gemm,torch_linear,bfloat16,1,256,256,0.01\n',
    );
    writeFileSync(join(tables, 'collection_meta.yaml'), 'tables: [unclosed\n');
    expect(() => mergeCollections([join(dir, 'in')], join(dir, 'out'))).toThrow(
      /collection_meta\.yaml: not valid YAML \(.*\); restore it or delete it$/,
    );
  });
});
