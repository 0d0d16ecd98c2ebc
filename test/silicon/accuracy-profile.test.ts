import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  accuracyFor,
  accuracyLine,
  accuracyProfile,
  clientsPerRank,
  EMBEDDED_TORCH_SERVING_ACCURACY,
  loadAccuracyProfile,
  loadStepAccuracy,
  measuredAccuracy,
  scorePredictions,
  stepAccuracy,
} from '../../src/silicon/index.js';
import { predictedMetrics } from '../helpers/predicted-metrics.js';
import { siliconRow } from '../helpers/silicon-row.js';

function row(id: string, backend: string) {
  return siliconRow({ id, backend });
}

describe('accuracy profile', () => {
  const metricsOf = predictedMetrics;
  const metrics = metricsOf(1, 1);
  // Ten vllm rows with TTFT errors 1..10% (7 of them predicted low) and TPOT errors 10..100%
  // (all predicted high), one sglang row.
  const predictions = [
    ...Array.from({ length: 10 }, (_, i) => ({
      row: row(`v${i}`, 'vllm'),
      metrics: metricsOf(i < 7 ? 100 - (i + 1) : 100 + (i + 1), 10 + (i + 1)),
      ttftErrorPct: i + 1,
      tpotErrorPct: (i + 1) * 10,
    })),
    { row: row('s', 'sglang'), metrics, ttftErrorPct: 50, tpotErrorPct: 5 },
  ];
  const profile = accuracyProfile(scorePredictions(predictions), {
    measurements: 'rows.csv',
    perfData: 'tables',
    measuredAt: '2026-11-23',
  });

  it('keeps the median and the error nine rows in ten stay within, per backend and mode', () => {
    expect(accuracyFor(profile, 'vllm', 'agg')).toEqual({
      backend: 'vllm',
      mode: 'agg',
      rows: 10,
      ttft_median_ape_pct: 5.5,
      ttft_p90_ape_pct: 9,
      tpot_median_ape_pct: 55,
      tpot_p90_ape_pct: 90,
      ttft_low_pct: 70,
      tpot_low_pct: 0,
    });
    expect(accuracyFor(profile, 'sglang', 'agg')?.rows).toBe(1);
    expect(accuracyFor(profile, 'trtllm', 'agg')).toBeUndefined();
    expect(accuracyLine(accuracyFor(profile, 'vllm', 'agg')!)).toBe(
      'vllm agg, 10 measured runs: TTFT error median 5.5%, p90 9%, measured higher in 70%; ' +
        'TPOT median 55%, p90 90%, measured higher in 0%',
    );
    // A profile saved before the lean was recorded still reads, without it.
    const { ttft_low_pct: _t, tpot_low_pct: _p, ...older } = accuracyFor(profile, 'vllm', 'agg')!;
    expect(accuracyLine(older)).toBe(
      'vllm agg, 10 measured runs: TTFT error median 5.5%, p90 9%; TPOT median 55%, p90 90%',
    );
  });

  it('round-trips through a file, and names the field of a malformed one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accuracy-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(profile));
    expect(loadAccuracyProfile(good)).toEqual(profile);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...profile, entries: [{ backend: 'vllm', mode: 'sideways' }] }));
    expect(() => loadAccuracyProfile(bad)).toThrow(/bad\.json: field 'entries\.0\.mode'/);
    expect(loadAccuracyProfile(join(dir, 'missing.json'))).toBeUndefined();
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, 'entries: []');
    expect(() => loadAccuracyProfile(notJson)).toThrow(
      /not\.json: not JSON .*silicon compare --save-accuracy/,
    );
  });

  it('the embedded profile parses and covers the serving backends', () => {
    const embedded = loadAccuracyProfile();
    expect(embedded).toBeDefined();
    for (const backend of ['vllm', 'sglang', 'trtllm'])
      expect(accuracyFor(embedded, backend, 'agg')).toBeDefined();
  });
});

describe('accuracy at the load of an estimate', () => {
  const metrics = predictedMetrics(1, 1);
  // Ten vllm rows at 32 clients (TTFT 20% off), three at 4 clients (2% off): too few for an entry.
  const predictions = [
    ...Array.from({ length: 10 }, (_, i) => ({
      row: row(`busy${i}`, 'vllm'),
      metrics,
      clientsPerRank: 32,
      ttftErrorPct: 20,
      tpotErrorPct: 4,
    })),
    ...Array.from({ length: 3 }, (_, i) => ({
      row: row(`idle${i}`, 'vllm'),
      metrics,
      clientsPerRank: 4,
      ttftErrorPct: 2,
      tpotErrorPct: 1,
    })),
  ];
  const profile = accuracyProfile(scorePredictions(predictions), {
    measurements: 'rows.csv',
    perfData: 'tables',
    measuredAt: '2026-11-23',
  });

  it('keeps a load entry only where enough rows were measured at that load', () => {
    expect(profile.entries.map((e) => [e.clients_per_rank ?? 'all loads', e.rows])).toEqual([
      ['all loads', 13],
      ['9-64', 10],
    ]);
  });

  it("quotes the entry at the estimate's load, else the backend x mode whole", () => {
    const busy = accuracyFor(profile, 'vllm', 'agg', 40)!;
    expect([busy.clients_per_rank, busy.ttft_median_ape_pct]).toEqual(['9-64', 20]);
    expect(accuracyLine(busy)).toMatch(
      /^vllm agg at 9-64 clients per rank, 10 measured runs: TTFT error median 20%/,
    );
    // No entry at 1-8 clients: the whole, 13 rows (median 20%, as 10 of 13 rows are 20% off).
    const idle = accuracyFor(profile, 'vllm', 'agg', 2)!;
    expect([idle.clients_per_rank, idle.rows]).toEqual([undefined, 13]);
    expect(accuracyFor(profile, 'vllm', 'agg')!.rows).toBe(13);
  });

  it('counts clients per attention-DP rank, and per decode rank when disaggregated', () => {
    const parallel = { tp: 1, pp: 1, attentionDp: 4, moeTp: 1, moeEp: 4 };
    expect(clientsPerRank({ mode: 'agg', parallel, batchSize: 64, ctxTokens: 8192 }, 64)).toBe(16);
    const role = { parallel, batchSize: 64, workers: 2 };
    expect(clientsPerRank({ mode: 'disagg', prefill: role, decode: role }, 64)).toBe(8);
  });
});

describe('error contributions', () => {
  const metrics = predictedMetrics(1, 1);
  const predictions = [
    { row: row('a', 'vllm'), metrics, ttftErrorPct: 10, tpotErrorPct: 20 },
    { row: row('b', 'vllm'), metrics, ttftErrorPct: 30, tpotErrorPct: 0 },
    { row: row('c', 'sglang'), metrics, ttftErrorPct: 80, tpotErrorPct: 40 },
    { row: row('d', 'sglang'), failure: 'InvalidConfigError: x' },
  ];
  const report = scorePredictions(predictions);

  it('splits the overall MAPE into model x backend x mode groups, largest first', () => {
    expect(report.contributions.map((c) => c.group)).toEqual([
      'Qwen/Qwen3-32B sglang agg',
      'Qwen/Qwen3-32B vllm agg',
    ]);
    const [sglang, vllm] = report.contributions;
    expect(sglang).toMatchObject({ predicted: 1, ttftMapePct: 80, ttftPoints: 80 / 3, tpotPoints: 40 / 3 });
    expect(vllm).toMatchObject({ predicted: 2, ttftMapePct: 20, ttftPoints: 40 / 3, tpotMapePct: 10 });
    const all = report.partitions.find((p) => p.partition === 'all')!;
    expect(sglang!.ttftPoints + vllm!.ttftPoints).toBeCloseTo(all.ttftMapePct, 12);
    expect(sglang!.tpotPoints + vllm!.tpotPoints).toBeCloseTo(all.tpotMapePct, 12);
  });
});

const SHIPPED = { databaseMode: 'silicon', embeddedData: true, bf16: true };

describe('step accuracy of the torch backend', () => {
  it('takes the median and p90 of the absolute step errors', () => {
    const a = stepAccuracy([-10, 1, -2, 3, 4, 5, -6, 7, 8, 9], {
      backend: 'torch',
      system: 'h200_sxm',
      measurements: ['a.csv'],
      measuredAt: '2026-11-23',
    });
    // Median of ten: the mean of the fifth and sixth (5 and 6).
    expect(a).toMatchObject({ steps: 10, median_ape_pct: 5.5, p90_ape_pct: 9 });
  });

  it('is quoted for torch estimates on the system its steps were timed on, serving profiles elsewhere', () => {
    const embedded = loadStepAccuracy();
    expect(embedded?.backend).toBe('torch');
    // Static estimates (no serving runs measure them) quote the step-time error.
    const torch = measuredAccuracy('torch', embedded!.system, 'static', SHIPPED);
    expect(torch?.line).toMatch(
      /^torch step times vs \d+ steps timed on h200_sxm: error median [\d.]+%, p90 [\d.]+% \(no measured static serving runs\)$/,
    );
    expect(measuredAccuracy('torch', 'h200_sxm', 'disagg', SHIPPED)?.line).toMatch(
      /\(no measured disagg serving runs\)$/,
    );
    expect(measuredAccuracy('torch', 'b200_sxm', 'static', SHIPPED)).toBeUndefined();
    // Only where the estimate stands where the reference steps did.
    for (const basis of [
      { ...SHIPPED, databaseMode: 'sol' },
      { ...SHIPPED, embeddedData: false },
      { ...SHIPPED, bf16: false },
    ])
      expect(measuredAccuracy('torch', 'h200_sxm', 'static', basis)).toBeUndefined();
    // Serving profiles: none for static estimates, which benchmarks do not measure.
    expect(measuredAccuracy('vllm', 'h200_sxm', 'agg', SHIPPED)?.line).toMatch(
      /^vllm agg, \d+ measured runs/,
    );
    expect(measuredAccuracy('vllm', 'h200_sxm', 'static', SHIPPED)).toBeUndefined();
  });

  it("quotes torch aggregated estimates from the runs of inferplan's serving loop on that system", () => {
    const served = loadAccuracyProfile(EMBEDDED_TORCH_SERVING_ACCURACY);
    expect(served?.systems).toEqual(['h200_sxm']);
    const agg = measuredAccuracy('torch', 'h200_sxm', 'agg', SHIPPED);
    expect(agg?.line).toMatch(
      /^torch agg, \d+ measured runs: TTFT error median .*serving loop on h200_sxm\)$/,
    );
    expect(agg?.json).toEqual(accuracyFor(served, 'torch', 'agg'));
    // In any database mode (the runs were compared in hybrid mode), but not on other systems,
    // where the step-time error has no steps either.
    expect(measuredAccuracy('torch', 'h200_sxm', 'agg', { ...SHIPPED, databaseMode: 'hybrid' })?.line).toBe(
      agg?.line,
    );
    expect(measuredAccuracy('torch', 'b200_sxm', 'agg', SHIPPED)).toBeUndefined();
    expect(measuredAccuracy('torch', 'h200_sxm', 'agg', { ...SHIPPED, bf16: false })).toBeUndefined();
    // The loop's fp8 runs are in the same file: fp8 GEMMs quote it too, but no step error (no
    // reference step was timed in fp8).
    const fp8 = { ...SHIPPED, bf16: false, fp8Gemm: true };
    expect(measuredAccuracy('torch', 'h200_sxm', 'agg', fp8)?.line).toBe(agg?.line);
    expect(measuredAccuracy('torch', 'h200_sxm', 'static', fp8)).toBeUndefined();
  });

  it('names the file and field of a malformed step-accuracy file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'steps-')), 'torch-steps.json');
    writeFileSync(file, JSON.stringify({ backend: 'torch', system: 'h200_sxm', steps: 0 }));
    expect(() => loadStepAccuracy(file)).toThrow(/torch-steps\.json: field 'measurements'/);
  });
});
