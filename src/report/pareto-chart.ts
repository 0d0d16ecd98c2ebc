// Chart specs for searches and experiments: Pareto fronts per mode, the best point marked.
import {
  type EvaluatedPoint,
  type ExperimentOutcome,
  meetsAllButTpot,
  type SearchResult,
} from '../search/index.js';
import { formatNumber } from './number-format.js';
import type { SvgChartSpec, SvgSeries } from './svg-chart.js';

const X_LABEL = 'tokens/s/user (output tokens per second each user sees)';
const Y_LABEL = 'tokens/s/gpu (output tokens per second per GPU used)';
/** Cloud points kept per mode; evenly thinned beyond this so charts stay small. */
const MAX_CLOUD = 1500;

function thin<T>(items: readonly T[], limit: number): T[] {
  if (items.length <= limit) return [...items];
  const step = items.length / limit;
  return Array.from({ length: limit }, (_, i) => items[Math.floor(i * step)]!);
}

const xy = (p: EvaluatedPoint) => ({ x: p.tokensPerSPerUser, y: p.tokensPerSPerGpu });

export function paretoChartSpec(
  result: SearchResult,
  title = 'Pareto fronts: throughput per GPU vs per user',
): SvgChartSpec {
  const series: SvgSeries[] = [];
  for (const mode of result.modes) {
    const cloud = result.points.filter((p) => p.mode === mode && meetsAllButTpot(p.sla));
    series.push({
      name: `${mode} configurations`,
      points: thin(cloud, MAX_CLOUD).map(xy),
      style: 'cloud',
      colorGroup: mode,
      hideInLegend: true,
    });
    series.push({
      name: `${mode} Pareto front`,
      points: (result.paretoByMode[mode] ?? []).map(xy),
      style: 'line',
      colorGroup: mode,
    });
  }
  const w = result.workload;
  const best = result.best;
  const tpot = result.sla.tpotMs;
  return {
    title,
    subtitle: `${result.totalGpus} GPUs, isl ${w.isl}, osl ${w.osl}`,
    xLabel: X_LABEL,
    yLabel: Y_LABEL,
    series,
    ...(best
      ? {
          marked: {
            ...xy(best),
            label: `best ${best.mode}: ${formatNumber(best.tokensPerSPerGpu)} tok/s/gpu`,
          },
        }
      : {}),
    ...(tpot !== undefined ? { verticalLines: [{ x: 1000 / tpot, label: `TPOT ${tpot} ms` }] } : {}),
  };
}

/** One chart for `exp`: each experiment's fronts (per mode) on shared axes, the overall best marked. */
export function experimentsChartSpec(outcomes: readonly ExperimentOutcome[]): SvgChartSpec {
  const series: SvgSeries[] = [];
  let best: { point: EvaluatedPoint; name: string } | undefined;
  for (const o of outcomes) {
    if (!o.result) continue;
    for (const mode of o.result.modes) {
      const front = o.result.paretoByMode[mode] ?? [];
      if (front.length > 0)
        series.push({ name: `${o.spec.name} ${mode}`, points: front.map(xy), style: 'line' });
    }
    const b = o.result.best;
    if (b && (!best || b.tokensPerSPerGpu > best.point.tokensPerSPerGpu))
      best = { point: b, name: o.spec.name };
  }
  // One TPOT line when every experiment has the same target (otherwise each would need its own).
  const tpots = new Set(outcomes.flatMap((o) => (o.result ? [o.result.sla.tpotMs] : [])));
  const [tpot] = [...tpots];
  return {
    title: 'Experiments: Pareto fronts',
    xLabel: X_LABEL,
    yLabel: Y_LABEL,
    series,
    ...(tpots.size === 1 && tpot !== undefined
      ? { verticalLines: [{ x: 1000 / tpot, label: `TPOT ${tpot} ms` }] }
      : {}),
    ...(best ? { marked: { ...xy(best.point), label: `best: ${best.name} ${best.point.mode}` } } : {}),
  };
}
