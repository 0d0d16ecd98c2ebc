import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LLAMA_3_1_8B_CONFIG } from '../helpers/hf-configs.js';
import { runCli } from '../helpers/run-cli.js';
import { FAKE_WORKER, tempDir } from './campaign-helpers.js';

describe('inferplan collect', () => {
  it('--plan-only prints counts per op and an estimated duration', async () => {
    const result = await runCli(['collect', '--ops', 'gemm,moe', '--grid', 'compact', '--plan-only']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/gemm\s*│\s*1920/);
    expect(result.stdout).toMatch(/total/);
  });

  it('--plan-only --json lists a model-driven plan', async () => {
    const result = await runCli([
      '--json',
      'collect',
      '--model',
      'Llama-3.1-8B',
      '--tp',
      '1,2',
      '--plan-only',
    ]);
    const parsed = JSON.parse(result.stdout) as { ops: { op: string; cases: number }[] };
    expect(parsed.ops.find((o) => o.op === 'gemm')?.cases).toBeGreaterThan(0);
  });

  it('names the bad flag in one line', async () => {
    const result = await runCli(['collect', '--ops', 'gemm,warp_drive', '--plan-only']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("unknown op 'warp_drive'");
    const model = await runCli(['collect', '--model', 'Nope-1B', '--plan-only']);
    expect(model.stderr).toContain("unknown model 'Nope-1B'");
  });

  it('refuses contradictory flags in one usage line naming both', async () => {
    // --plan-only: the check happens before anything is planned or run.
    const both = await runCli(['collect', '--replace', '--skip-existing', '--ops', 'gemm', '--plan-only']);
    expect(both.code).toBe(2);
    expect(both.stdout).toBe('');
    expect(both.stderr.trim().split('\n')).toHaveLength(1);
    expect(both.stderr).toMatch(/--replace and --skip-existing contradict each other.*; pass one$/m);
    // --resume-retry-failed alone is a resume that re-runs failures, not a conflict.
    const retry = await runCli(['collect', '--resume-retry-failed', '--ops', 'gemm', '--plan-only']);
    expect(retry.code).toBe(0);
  });

  it('says why a known model is unsupported, and plans from a config directory', async () => {
    const unsupported = await runCli(['collect', '--model', 'deepseek-ai/DeepSeek-V3.2', '--plan-only']);
    expect(unsupported.code).not.toBe(0);
    expect(unsupported.stderr.trim().split('\n')).toHaveLength(1);
    expect(unsupported.stderr).toContain(
      "model 'deepseek-ai/DeepSeek-V3.2' (DeepseekV32ForCausalLM) is not supported",
    );
    const dir = tempDir('model-dir');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(LLAMA_3_1_8B_CONFIG));
    const byDir = await runCli(['--json', 'collect', '--model', dir, '--plan-only']);
    const byName = await runCli(['--json', 'collect', '--model', 'Llama-3.1-8B', '--plan-only']);
    expect(byDir.code).toBe(0);
    const gemm = (out: string) =>
      (JSON.parse(out) as { ops: { op: string; cases: number }[] }).ops.find((o) => o.op === 'gemm')?.cases;
    expect(gemm(byDir.stdout)).toBe(gemm(byName.stdout));
  });

  it('refuses a plan with no cases in one line that says why, and saves nothing', async () => {
    const dir = tempDir('empty-plan');
    const saved = join(dir, 'plan.json');
    const layout = await runCli([
      'collect',
      '--plan-only',
      '--model',
      'Qwen/Qwen3-32B',
      '--tp',
      '3',
      '--save-plan',
      saved,
    ]);
    expect(layout.code).toBe(6);
    expect(layout.stderr.trim().split('\n')).toHaveLength(1);
    expect(layout.stderr).toContain('Qwen/Qwen3-32B: tp=3 does not divide 64 heads; use 1, 2, 4');
    expect(existsSync(saved)).toBe(false);
    const filter = await runCli(['collect', '--plan-only', '--ops', 'gemm', '--case-filter', 'zzz=1']);
    expect(filter.code).toBe(2);
    expect(filter.stderr.trim().split('\n')).toHaveLength(1);
    expect(filter.stderr).toContain(
      "--case-filter names zzz, which no planned case has; the cases' parameters are gemm_dtype, k, m, n",
    );
  });

  it('refuses --ops that leave a saved plan with nothing to run', async () => {
    const dir = tempDir('plan-ops');
    const saved = join(dir, 'plan.json');
    const save = await runCli([
      'collect',
      '--plan-only',
      '--ops',
      'gemm',
      '--grid',
      'compact',
      '--save-plan',
      saved,
    ]);
    expect(save.code).toBe(0);
    const r = await runCli(['collect', '--plan-only', '--plan-file', saved, '--ops', 'moe']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `error: --plan-file ${saved} holds no moe cases (it holds gemm); change --ops`,
    );
  });

  it('runs a smoke campaign with a worker command and writes tables, summary and charts', async () => {
    const dir = tempDir('cli');
    process.env['FAKE_RULES'] = '[]';
    process.env['FAKE_STATE_DIR'] = dir;
    const result = await runCli([
      'collect',
      '--ops',
      'gemm,elementwise',
      '--smoke',
      '--out',
      join(dir, 'out'),
      '--worker',
      `${process.execPath} ${FAKE_WORKER}`,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/gemm\s*│\s*6\s*│\s*6\s*│\s*0/);
    expect(result.stdout).toContain('quality gates:');
    expect(result.stdout).toContain('sanity charts: 2 tables');
  });
});
