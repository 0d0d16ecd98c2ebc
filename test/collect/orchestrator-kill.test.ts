import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OpCheckpoint } from '../../src/collect/checkpoint.js';
import { runCampaign, savePlanFile } from '../../src/collect/index.js';
import { campaignOptions, FAKE_WORKER, smallPlan, tempDir } from './campaign-helpers.js';

const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));

describe('kill -9 of the orchestrator', () => {
  it('resumes exactly where the journal stopped: no case lost, none run twice', async () => {
    const dir = tempDir('kill9');
    const ck = join(dir, 'ck');
    savePlanFile(join(dir, 'plan.json'), 'torch', smallPlan());
    // The CLI runs the same 30 cases as smallPlan() from a saved plan, slowly (40 ms a case).
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        BIN,
        'collect',
        '--ops',
        'gemm',
        '--plan-file',
        join(dir, 'plan.json'),
        '--out',
        join(dir, 'out'),
        '--checkpoint-dir',
        ck,
        '--worker',
        `${process.execPath} ${FAKE_WORKER}`,
        '--no-charts',
      ],
      {
        env: { ...process.env, FAKE_DELAY_MS: '40', FAKE_RULES: '[]', FAKE_STATE_DIR: dir },
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const loaded = OpCheckpoint.load(ck, 'gemm');
      if ((loaded?.done.size ?? 0) >= 8) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const afterKill = OpCheckpoint.load(ck, 'gemm');
    const doneBefore = afterKill?.done.size ?? 0;
    expect(doneBefore).toBeGreaterThanOrEqual(8);
    expect(doneBefore).toBeLessThan(30);

    let ran = 0;
    const report = await runCampaign(
      campaignOptions(dir, smallPlan(), [], {
        gpus: ['0'],
        resume: true,
        onEvent: (e) => {
          if (e.type === 'case') ran++;
        },
      }),
    );
    expect(report.ops[0]?.skippedAlreadyDone).toBe(doneBefore);
    expect(ran).toBe(30 - doneBefore);
    const table = readFileSync(join(dir, 'out', 'h200_sxm', 'torch', '2.11.0', 'gemm_perf.txt'), 'utf8');
    expect(table.trim().split('\n')).toHaveLength(31);
  });
});
