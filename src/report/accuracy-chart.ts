// Predicted against measured, one metric: the picture of how right predictions are. Log-log so
// 20 ms and 20 s rows read alike; y = x and a +-target band as dashed guides.
import { mean } from '../common/index.js';
import type { SvgChartSpec, SvgSeries } from './svg-chart.js';

export interface AccuracyPoint {
  readonly measured: number;
  readonly predicted: number;
  /** What the points are coloured by (a backend, a mode). */
  readonly group: string;
}

export interface AccuracyChartInput {
  /** e.g. 'TTFT'. */
  readonly metric: string;
  readonly unit: string;
  readonly points: readonly AccuracyPoint[];
  /** The error target drawn as a band around y = x, in percent (e.g. 15). */
  readonly targetPct?: number;
  /** Where the points come from, for the subtitle (e.g. a file name). */
  readonly source?: string;
}

/** Mean absolute percentage error of the predictions against the measurements. */
function mape(points: readonly AccuracyPoint[]): number {
  if (points.length === 0) return 0;
  return 100 * mean(points.map((p) => Math.abs(p.predicted - p.measured) / p.measured));
}

export function accuracyChartSpec(input: AccuracyChartInput): SvgChartSpec {
  const usable = input.points.filter((p) => p.measured > 0 && p.predicted > 0);
  const groups = [...new Set(usable.map((p) => p.group))].sort();
  const series: SvgSeries[] = groups.map((group) => {
    const mine = usable.filter((p) => p.group === group);
    return {
      name: `${group} (${mine.length}, MAPE ${mape(mine).toFixed(1)}%)`,
      style: 'points',
      colorGroup: group,
      points: mine.map((p) => ({ x: p.measured, y: p.predicted })),
    };
  });
  const values = usable.flatMap((p) => [p.measured, p.predicted]);
  if (values.length > 0) {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const diagonal = (factor: number) => [
      { x: lo, y: lo * factor },
      { x: hi, y: hi * factor },
    ];
    series.push({ name: 'predicted = measured', style: 'guide', points: diagonal(1) });
    if (input.targetPct !== undefined) {
      const f = input.targetPct / 100;
      series.push({ name: `+-${input.targetPct}%`, style: 'guide', points: diagonal(1 + f) });
      series.push({
        name: `-${input.targetPct}%`,
        style: 'guide',
        points: diagonal(1 - f),
        hideInLegend: true,
      });
    }
  }
  return {
    title: `${input.metric}: predicted vs measured`,
    subtitle: `${usable.length} rows, MAPE ${mape(usable).toFixed(1)}%${input.source ? `, ${input.source}` : ''}`,
    xLabel: `measured ${input.metric} (${input.unit})`,
    yLabel: `predicted ${input.metric} (${input.unit})`,
    series,
    logAxes: true,
    // Over-predictions of small values (top left) are the rarest corner of such a plot.
    legendAt: 'top-left',
    width: 760,
    height: 560,
  };
}
