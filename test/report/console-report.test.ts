import { describe, expect, it } from 'vitest';
import {
  formatNumber,
  renderAsciiScatter,
  renderParetoAscii,
  renderProvenanceLine,
  renderSearchReport,
  renderSearchSummary,
  renderTopTables,
} from '../../src/report/index.js';
import { sampleResult } from './report-fixtures.js';

describe('summary box', () => {
  it('names the best mode, its ratio, throughput, latencies, deployment and provenance', () => {
    const result = sampleResult({ gpuHourUsd: 2 });
    const text = renderSearchSummary(result);
    const best = result.best!;
    expect(text).toContain(
      `Best: ${best.mode}, ${result.comparison!.ratio.toFixed(2)}x the best ${result.comparison!.otherMode}`,
    );
    expect(text).toMatch(/tokens\/s\/gpu/);
    expect(text).toMatch(/TTFT [\d.]+ ms {3}TPOT [\d.]+ ms {3}request [\d.]+ ms/);
    // The fake estimator's TTFT is all prefill, its TPOT all decode.
    const m = best.metrics;
    expect(text).toContain(`TTFT is    queue 0 + prefill ${formatNumber(m.ttftMs)} ms`);
    expect(text).toContain(`TPOT is    decode ${formatNumber(m.tpotMs)} + other requests' prefill 0 ms`);
    expect(text).toMatch(/replicas? x/);
    expect(text).toMatch(/per million tokens/);
    expect(text).toContain('Predicted time from: 100% measured');
    expect(text).toMatch(/Searched \d+ configurations \(\d+ meet the SLA/);
    expect(text).toMatch(/in 5(\.0+)? ms/);
    for (const line of text.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('says which constraint failed and shows the closest configuration when nothing meets the SLA', () => {
    const result = sampleResult({ tpotMs: 5 });
    const text = renderSearchSummary(result);
    expect(text).toContain('No configuration meets the SLA.');
    expect(text).toContain(`TPOT missed by ${result.failures.failedByConstraint.tpot}`);
    expect(text).toMatch(/Closest: (agg|disagg) TTFT/);
    expect(renderTopTables(result)).toContain('Closest configurations');
  });

  it('says why the other mode has no best', async () => {
    const { searchDeployments } = await import('../../src/search/index.js');
    const { FakeEstimator, WORKLOAD } = await import('../search/fake-estimator.js');
    const oneGpu = searchDeployments({
      estimator: new FakeEstimator(),
      totalGpus: 1,
      workload: WORKLOAD,
      sla: { tpotMs: 20 },
      parallelSpace: { tpValues: [1], ppValues: [1] },
    });
    expect(renderSearchSummary(oneGpu)).toContain('Best: agg (no disagg configuration fits 1 GPU)');
  });

  it('writes the provenance shares that are present', () => {
    expect(
      renderProvenanceLine({ measured: 0.62, interpolated: 0.3, extrapolated: 0.08, empirical: 0, sol: 0 }),
    ).toBe('Predicted time from: 62% measured, 30% interpolated, 8% extrapolated');
  });
});

describe('top tables', () => {
  it('lists agg workers and per-role disagg workers with the shared columns', () => {
    const text = renderTopTables(sampleResult());
    expect(text).toContain('Top agg configurations meeting the SLA');
    expect(text).toContain('Top disagg configurations meeting the SLA');
    for (const head of [
      'rank',
      'tok/s/gpu',
      'tok/s/user',
      'TTFT ms',
      'TPOT ms',
      'concurrency',
      'GPUs = repl x size',
    ]) {
      expect(text).toContain(head);
    }
    expect(text).toContain('prefill workers');
    expect(text).toContain('decode workers');
    expect(text).toMatch(/\d+ = \d+ x \d+/);
  });
});

describe('ASCII Pareto chart', () => {
  it('fits 80 columns and shows both fronts, the best point, the TPOT line and labelled axes', () => {
    const result = sampleResult();
    const chart = renderParetoAscii(result);
    const lines = chart.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toBe('tokens/s/gpu');
    expect(chart).toContain('tokens/s/user (1000 / TPOT ms)');
    const plot = lines.slice(1, -4).join('\n');
    expect(plot).toContain('*');
    expect(plot).toContain('a');
    expect(plot).toContain('d');
    expect(plot).toContain(':');
    expect(lines.at(-1)).toBe('a agg Pareto front   d disagg Pareto front   * best   : TPOT target 20 ms');
  });

  it('puts points where their values say (corners of the plot)', () => {
    const chart = renderAsciiScatter({
      xLabel: 'x',
      yLabel: 'y',
      width: 40,
      height: 5,
      series: [
        {
          label: 's',
          marker: 'o',
          points: [
            { x: 0, y: 0 },
            { x: 10, y: 10 },
          ],
        },
      ],
    });
    const lines = chart.split('\n');
    // Row 1 is the top of the plot: the (10, 10) point at the right end; the last plot row has (0, 0).
    expect(lines[1]!.endsWith('o')).toBe(true);
    expect(lines[5]).toMatch(/\|o$/);
  });

  it('is part of the full report', () => {
    const text = renderSearchReport(sampleResult());
    expect(text).toContain('tokens/s/gpu\n');
    expect(renderSearchReport(sampleResult(), { chart: false })).not.toContain('Pareto front');
  });
});
