import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildContext } from '../../src/cli/deployment-context.js';
import { flagsOf } from '../../src/cli/experiment-estimators.js';
import { ExperimentSpecSchema } from '../../src/search/index.js';
import { runCli } from '../helpers/run-cli.js';

describe('experiment quantisation policy', () => {
  const spec = ExperimentSpecSchema.parse({
    name: 'fastest',
    model: 'meta-llama/Llama-3.1-8B',
    system: 'h200_sxm',
    backend: 'torch',
    database_mode: 'sol',
    total_gpus: 8,
    workload: { isl: 1000, osl: 100 },
    quant: { policy: 'fastest', kv_cache: 'bfloat16' },
  });

  it('passes quant.policy on to the deployment, under the per-component overrides', async () => {
    const flags = flagsOf(spec, [], process.cwd());
    expect(flags.quantPolicy).toBe('fastest');
    const fastest = await buildContext(flags);
    // Hopper's fastest formats are FP8; the experiment's kv_cache override still wins.
    expect(fastest.quant).toMatchObject({ gemm: 'fp8', moe: 'fp8', kvCache: 'bfloat16' });
    const checkpoint = await buildContext({ ...flags, quantPolicy: 'checkpoint' });
    expect(checkpoint.quant.gemm).toBe('bfloat16');
  });
});

describe('inferplan exp input errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferplan-exp-errors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header = [
    'defaults:',
    '  model: meta-llama/Llama-3.1-8B',
    '  system: h200_sxm',
    '  backend: vllm',
    '  database_mode: sol',
    '  total_gpus: 8',
    '  workload: { isl: 1000, osl: 100 }',
  ];

  it('names the perf_data field (not a flag), relative to the file, and says when it is a file', async () => {
    writeFileSync(join(dir, 'not-a-folder'), 'x\n');
    const file = join(dir, 'perf.yaml');
    writeFileSync(
      file,
      [
        ...header,
        '  perf_data: missing-data',
        'experiments:',
        '  - name: a',
        '  - name: b',
        '    perf_data: not-a-folder',
      ].join('\n'),
    );
    const r = await runCli(['exp', file]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('pass --perf-data');
    expect(r.stderr.trim().split('\n')).toEqual([
      `error: ${file}:8: defaults.perf_data '${join(dir, 'missing-data')}' does not exist; point it at an existing perf data folder`,
      `${file}:12: experiments[1].perf_data '${join(dir, 'not-a-folder')}' is a file, not a folder; point it at the folder that holds <system>/<backend>/<version>/ tables`,
    ]);
  });

  it('names a bad key of the defaults block as defaults.<key> with its line', async () => {
    const file = join(dir, 'bogus.yaml');
    writeFileSync(
      file,
      [...header, '  bogus_key: 1', 'experiments:', '  - name: a', '    top_n: 0'].join('\n'),
    );
    const r = await runCli(['exp', file]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([
      `error: ${file}:8: defaults.bogus_key: unknown field; fields are listed in docs/search.md`,
      `${file}:11: experiments[0].top_n: Too small: expected number to be >0`,
    ]);
  });
});
