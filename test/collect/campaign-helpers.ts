// Shared helpers for campaign tests: a fake worker command and a small plan.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CampaignOptions, makeCase, type OpPlan, planHash } from '../../src/collect/index.js';

export const FAKE_WORKER = fileURLToPath(new URL('../fixtures/collect/fake-worker.mjs', import.meta.url));

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `inferplan-${prefix}-`));
}

/** 30 gemm cases: m = 1..30 at n = k = 256, bf16. */
export function smallPlan(): OpPlan[] {
  const cases = Array.from({ length: 30 }, (_, i) =>
    makeCase('gemm', { gemm_dtype: 'bfloat16', m: i + 1, n: 256, k: 256 }),
  );
  return [{ op: 'gemm', cases, hash: planHash(cases) }];
}

export function campaignOptions(
  dir: string,
  plans: readonly OpPlan[],
  rules: readonly object[] = [],
  overrides: Partial<CampaignOptions> = {},
): CampaignOptions {
  process.env['FAKE_RULES'] = JSON.stringify(rules);
  process.env['FAKE_STATE_DIR'] = dir;
  return {
    backend: 'torch',
    plans,
    outDir: join(dir, 'out'),
    checkpointDir: join(dir, 'ck'),
    resume: false,
    resumeRetryFailed: false,
    measurePower: false,
    gpus: ['0', '1'],
    caseTimeoutS: 2,
    helloTimeoutS: 10,
    workerCommand: [process.execPath, FAKE_WORKER],
    provenance: { collectorVersion: 'test', gitSha: 'test', codeHash: 'test' },
    ...overrides,
  };
}
