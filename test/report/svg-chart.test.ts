import { describe, expect, it } from 'vitest';
import {
  accuracyChartSpec,
  experimentsChartSpec,
  paretoChartSpec,
  renderSvgChart,
} from '../../src/report/index.js';
import { parseExperimentsYaml, runExperiments } from '../../src/search/index.js';
import { FakeEstimator } from '../search/fake-estimator.js';
import { sampleResult } from './report-fixtures.js';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe('SVG charts', () => {
  const spec = {
    title: 'Fronts <a & b>',
    xLabel: 'tokens/s/user',
    yLabel: 'tokens/s/gpu',
    series: [
      {
        name: 'agg',
        points: [
          { x: 10, y: 300 },
          { x: 30, y: 200 },
          { x: 50, y: 50 },
        ],
        style: 'line' as const,
      },
      {
        name: 'disagg',
        points: [
          { x: 20, y: 250 },
          { x: 40, y: 100 },
        ],
        style: 'line' as const,
      },
      { name: 'cloud', points: [{ x: 5, y: 5 }], style: 'cloud' as const, hideInLegend: true },
    ],
    marked: { x: 10, y: 300, label: 'best' },
    verticalLines: [{ x: 25, label: 'TPOT 40 ms' }],
  };

  it('draws a well-formed document with every part', () => {
    const svg = renderSvgChart(spec);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(count(svg, /<g /g)).toBe(count(svg, /<\/g>/g));
    expect(svg).toContain('Fronts &lt;a &amp; b&gt;');
    expect(count(svg, /<g class="series"/g)).toBe(3);
    // 6 data circles plus one legend swatch per visible series.
    expect(count(svg, /<circle /g)).toBe(6 + 2);
    expect(count(svg, /<path d="M/g)).toBe(2);
    expect(svg).toContain('<g class="marked">');
    expect(svg).toContain('>best</text>');
    expect(svg).toContain('>TPOT 40 ms</text>');
    expect(svg).toContain('class="x-label"');
    expect(svg).toContain('>tokens/s/gpu</text>');
    const legend = svg.slice(svg.indexOf('<g class="legend">'));
    expect(legend).toContain('>agg</text>');
    expect(legend).toContain('>disagg</text>');
    expect(legend).not.toContain('>cloud</text>');
    // Ticks on 1-2-5 steps covering the data: 0..300 on y.
    expect(svg).toMatch(/text-anchor="end">300<\/text>/);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('is deterministic', () => {
    expect(renderSvgChart(spec)).toBe(renderSvgChart(spec));
  });

  it('charts a search result: fronts per mode, best marked, TPOT target', () => {
    const result = sampleResult();
    const chart = paretoChartSpec(result);
    expect(chart.series.filter((s) => s.style === 'line').map((s) => s.name)).toEqual([
      'agg Pareto front',
      'disagg Pareto front',
    ]);
    expect(chart.marked?.label).toMatch(/^best (agg|disagg): /);
    expect(chart.verticalLines).toEqual([{ x: 50, label: 'TPOT 20 ms' }]);
    const svg = renderSvgChart(chart);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('charts experiments on shared axes', async () => {
    const specs = parseExperimentsYaml(
      `defaults: { model: m, system: s, backend: vllm, total_gpus: 4, workload: { isl: 1000, osl: 101 }, sla: { ttft_ms: 1500, tpot_ms: 20 } }
experiments: [{ name: one, modes: [agg] }, { name: two }]`,
      'e.yaml',
    );
    const outcomes = await runExperiments(specs, () => ({
      estimator: new FakeEstimator(),
      parallelSpace: { tpValues: [1, 2], ppValues: [1] },
    }));
    const chart = experimentsChartSpec(outcomes);
    expect(chart.series.map((s) => s.name)).toEqual(['one agg', 'two agg', 'two disagg']);
    expect(chart.marked?.label).toMatch(/^best: (one|two) /);
    expect(chart.verticalLines).toEqual([{ x: 50, label: 'TPOT 20 ms' }]);
  });
});

describe('log-log accuracy charts', () => {
  const points = [
    { measured: 50, predicted: 40, group: 'vllm agg' },
    { measured: 200, predicted: 220, group: 'vllm agg' },
    { measured: 4000, predicted: 3000, group: 'trtllm disagg' },
    // Not drawable on log axes: left out, not plotted at the origin.
    { measured: 0, predicted: 10, group: 'vllm agg' },
  ];
  const spec = accuracyChartSpec({ metric: 'TTFT', unit: 'ms', points, targetPct: 15, source: 'runs.csv' });

  it('groups points with their own count and MAPE, and draws y = x and the target band', () => {
    expect(spec.logAxes).toBe(true);
    expect(spec.subtitle).toBe('3 rows, MAPE 18.3%, runs.csv');
    const names = spec.series.map((s) => s.name);
    // (20% + 10%) / 2 for vllm agg, 25% for trtllm disagg; groups in name order.
    expect(names).toEqual([
      'trtllm disagg (1, MAPE 25.0%)',
      'vllm agg (2, MAPE 15.0%)',
      'predicted = measured',
      '+-15%',
      '-15%',
    ]);
    const diagonal = spec.series.find((s) => s.name === 'predicted = measured')!;
    expect(diagonal.points).toEqual([
      { x: 40, y: 40 },
      { x: 4000, y: 4000 },
    ]);
    expect(spec.series.find((s) => s.name === '+-15%')!.points[1]!.y).toBeCloseTo(4600, 6);
  });

  it('renders decade ticks, dashed guides without dots and the legend top left', () => {
    const svg = renderSvgChart(spec);
    const ticks = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]+)<\/text>/g)].map(
      (m) => m[1],
    );
    // Data from 40 to 4000: decades 10..10k (with 2 and 5 between only when two decades or less).
    expect(ticks).toEqual(['10', '100', '1000', '10k']);
    expect(count(svg, /<path class="guide"/g)).toBe(3);
    expect(count(svg, /stroke-dasharray="6 4"/g)).toBe(3 + 2);
    // Dots: three drawable points plus one per coloured legend entry.
    expect(count(svg, /<circle /g)).toBe(3 + 2);
    const legend = /<g class="legend"><rect x="([\d.]+)"/.exec(svg);
    expect(Number(legend![1])).toBeLessThan(100);
    // Decades equally spaced from the left edge (72) across the 664-wide plot: 10, 100, 1000, 10k.
    const grid = svg.slice(svg.indexOf('<g class="grid"'), svg.indexOf('</g>'));
    const xs = [...grid.matchAll(/<line x1="([\d.]+)" y1="([\d.]+)" x2="\1" /g)].map((m) => Number(m[1]));
    expect(xs).toEqual([72, 293.3, 514.7, 736]);
  });
});
