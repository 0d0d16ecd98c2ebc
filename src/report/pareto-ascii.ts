// The search's Pareto fronts as a terminal chart.
import type { SearchMode, SearchResult } from '../search/index.js';
import { type AsciiSeries, renderAsciiScatter } from './ascii-scatter.js';

const MARKERS: Record<SearchMode, string> = { agg: 'a', disagg: 'd' };

export function renderParetoAscii(result: SearchResult, width = 80): string {
  const series: AsciiSeries[] = result.modes.map((mode) => ({
    label: `${mode} Pareto front`,
    marker: MARKERS[mode],
    points: (result.paretoByMode[mode] ?? []).map((p) => ({ x: p.tokensPerSPerUser, y: p.tokensPerSPerGpu })),
  }));
  const best = result.best;
  const tpot = result.sla.tpotMs;
  return renderAsciiScatter({
    xLabel: 'tokens/s/user (1000 / TPOT ms)',
    yLabel: 'tokens/s/gpu',
    series,
    width,
    ...(best
      ? { mark: { x: best.tokensPerSPerUser, y: best.tokensPerSPerGpu, label: 'best', marker: '*' } }
      : {}),
    ...(tpot !== undefined ? { verticalLine: { x: 1000 / tpot, label: `TPOT target ${tpot} ms` } } : {}),
  });
}
