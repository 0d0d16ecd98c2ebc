import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpCheckpoint } from '../../src/collect/checkpoint.js';
import { runCampaign } from '../../src/collect/index.js';
import { campaignOptions, smallPlan, tempDir } from './campaign-helpers.js';

function tableRows(dir: string, table = 'gemm'): string[][] {
  const text = readFileSync(join(dir, 'out', 'h200_sxm', 'torch', '2.11.0', `${table}_perf.txt`), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}

afterEach(() => {
  delete process.env['FAKE_RULES'];
});

describe('campaign robustness with a misbehaving worker', () => {
  it('loses and duplicates no case when workers hang, crash, exit oddly, print garbage or hit fatal errors', async () => {
    const dir = tempDir('robust');
    const plans = smallPlan();
    const rules = [
      { match: { m: 3 }, action: 'sigkill', once: true },
      { match: { m: 5 }, action: 'hang', once: true },
      { match: { m: 7 }, action: 'exit3' },
      { match: { m: 9 }, action: 'garbage' },
      { match: { m: 11 }, action: 'fatal', once: true },
      { match: { m: 13 }, action: 'unsupported' },
      { match: { m: 15 }, action: 'oom' },
    ];
    const report = await runCampaign(campaignOptions(dir, plans, rules, { caseTimeoutS: 1 }));
    const planned = plans[0]?.cases.length ?? 0;
    const gemm = report.ops.find((o) => o.op === 'gemm');
    expect(planned).toBe(30);
    // m=7 always crashes, m=13 unsupported, m=15 out of memory twice: 3 failures; the rest are rows.
    expect(gemm?.done).toBe(27);
    expect(gemm?.failed).toBe(3);
    expect(gemm?.transient).toBe(3); // sigkill, hang and fatal each passed on the retry
    const rows = tableRows(dir);
    expect(rows[0]?.slice(0, 5)).toEqual(['framework', 'version', 'device', 'op_name', 'kernel_source']);
    const ms = rows.slice(1).map((r) => Number(r[6]));
    expect(new Set(ms).size).toBe(ms.length);
    expect(ms.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1).filter((m) => ![7, 13, 15].includes(m)),
    );
    const errors = JSON.parse(
      readFileSync(join(dir, 'out', 'h200_sxm', 'torch', '2.11.0', 'errors_gemm.json'), 'utf8'),
    ) as { failures: { params: { m: number }; classification: string }[] };
    const byM = Object.fromEntries(errors.failures.map((f) => [f.params.m, f.classification]));
    expect(byM).toEqual({ 7: 'framework_bug', 13: 'unsupported_config', 15: 'resource_issue' });
    const summary = JSON.parse(
      readFileSync(join(dir, 'out', 'h200_sxm', 'torch', '2.11.0', 'collection_summary.json'), 'utf8'),
    ) as { ops: { op: string; by_class: Record<string, number> }[] };
    expect(summary.ops[0]?.by_class).toEqual({ framework_bug: 1, unsupported_config: 1, resource_issue: 1 });
  });

  it("keeps the timing's warnings (graph_error, throttled, spread) in each row's info", async () => {
    const dir = tempDir('timing-info');
    await runCampaign(campaignOptions(dir, smallPlan(), [], { gpus: ['0'] }));
    const done = [...(OpCheckpoint.load(join(dir, 'ck'), 'gemm')?.done.values() ?? [])];
    expect(done).toHaveLength(30);
    const m4 = done.find((r) => r.params['m'] === 4);
    expect(m4?.info).toEqual({ throttled: false, spread: 0.02, graph_error: 'RuntimeError: capture failed' });
    const m5 = done.find((r) => r.params['m'] === 5);
    expect(m5?.info).toEqual({ throttled: false, spread: 0.02 });
  });

  it('stops on request, then --resume runs exactly the cases left', async () => {
    const dir = tempDir('resume');
    const plans = smallPlan();
    const stop = new AbortController();
    let finished = 0;
    const first = await runCampaign(
      campaignOptions(dir, plans, [], {
        gpus: ['0'],
        signal: stop.signal,
        onEvent: (e) => {
          if (e.type === 'case' && e.outcome === 'done' && ++finished === 10) stop.abort();
        },
      }),
    );
    const doneFirst = first.ops[0]?.done ?? 0;
    expect(doneFirst).toBeGreaterThanOrEqual(10);
    expect(doneFirst).toBeLessThan(30);
    expect(first.ops[0]?.status).toBe('partial');
    let ran = 0;
    const second = await runCampaign(
      campaignOptions(dir, plans, [], {
        resume: true,
        onEvent: (e) => {
          if (e.type === 'case') ran++;
        },
      }),
    );
    expect(second.ops[0]?.skippedAlreadyDone).toBe(doneFirst);
    expect(ran).toBe(30 - doneFirst);
    expect(second.ops[0]?.status).toBe('complete');
    expect(tableRows(dir).length - 1).toBe(30);
  });

  it('refuses to resume a checkpoint of another framework version', async () => {
    const dir = tempDir('mismatch');
    const plans = smallPlan();
    await runCampaign(campaignOptions(dir, plans, [], { gpus: ['0'] }));
    process.env['FAKE_TORCH'] = '2.12.0+fake';
    try {
      await expect(runCampaign(campaignOptions(dir, plans, [], { resume: true }))).rejects.toThrow(
        /frameworkVersion is '2.11.0\+fake' but this run has '2.12.0\+fake'/,
      );
    } finally {
      delete process.env['FAKE_TORCH'];
    }
  });

  it('fails every op and writes no output folder when no worker can start', async () => {
    const dir = tempDir('nostart');
    process.env['FAKE_HELLO_FAIL'] = '1';
    try {
      const report = await runCampaign(campaignOptions(dir, smallPlan(), [], { gpus: ['0'] }));
      expect(report.failedOps).toEqual(['gemm']);
      expect(report.outputDir).toBeUndefined();
    } finally {
      delete process.env['FAKE_HELLO_FAIL'];
    }
  });

  it('records the cases left as NoWorker failures when a lost worker cannot be restarted', async () => {
    const dir = tempDir('norestart');
    process.env['FAKE_HELLO_ONCE'] = '1';
    try {
      const report = await runCampaign(
        campaignOptions(dir, smallPlan(), [{ match: { m: 5 }, action: 'sigkill' }], { gpus: ['0'] }),
      );
      const gemm = report.ops.find((o) => o.op === 'gemm');
      expect(gemm?.done).toBe(4);
      expect(gemm?.failed).toBe(26);
      const errors = JSON.parse(
        readFileSync(join(dir, 'out', 'h200_sxm', 'torch', '2.11.0', 'errors_gemm.json'), 'utf8'),
      ) as { failures: { params: { m: number }; error_type: string; classification: string }[] };
      expect(errors.failures).toHaveLength(26);
      expect(new Set(errors.failures.map((f) => `${f.error_type} ${f.classification}`))).toEqual(
        new Set(['NoWorker resource_issue']),
      );
    } finally {
      delete process.env['FAKE_HELLO_ONCE'];
    }
  });
});

describe('--skip-existing', () => {
  it('runs only the cases whose rows are not in the table yet', async () => {
    const dir = tempDir('skip');
    const plans = smallPlan();
    const firstHalf = [{ ...plans[0]!, cases: plans[0]!.cases.slice(0, 12) }];
    await runCampaign(campaignOptions(dir, firstHalf, [], { gpus: ['0'] }));
    let ran = 0;
    const report = await runCampaign(
      campaignOptions(dir, plans, [], {
        gpus: ['0'],
        checkpointDir: join(dir, 'ck2'),
        skipExisting: true,
        onEvent: (e) => {
          if (e.type === 'case') ran++;
        },
      }),
    );
    expect(ran).toBe(18);
    expect(report.ops[0]?.status).toBe('complete');
    expect(tableRows(dir).length - 1).toBe(30);
  });
});
