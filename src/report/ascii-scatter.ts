// Terminal scatter plot (fits 80 columns): several marker series, one marked point, a target line.
import { formatTick, niceTicks } from './number-format.js';

export interface XY {
  readonly x: number;
  readonly y: number;
}

export interface AsciiSeries {
  readonly label: string;
  /** One character. */
  readonly marker: string;
  readonly points: readonly XY[];
}

export interface AsciiScatterSpec {
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly AsciiSeries[];
  readonly mark?: XY & { readonly label: string; readonly marker?: string };
  /** A vertical reference line (e.g. the TPOT target as tokens/s/user). */
  readonly verticalLine?: { readonly x: number; readonly label: string };
  readonly width?: number;
  readonly height?: number;
}

const GUTTER = 9;

export function renderAsciiScatter(spec: AsciiScatterSpec): string {
  const width = spec.width ?? 80;
  const height = spec.height ?? 16;
  const plotWidth = width - GUTTER - 1;
  const all = [...spec.series.flatMap((s) => s.points), ...(spec.mark ? [spec.mark] : [])].filter(
    (p) => Number.isFinite(p.x) && Number.isFinite(p.y),
  );
  const xMaxData = Math.max(0, ...all.map((p) => p.x), spec.verticalLine?.x ?? 0);
  const xTicks = niceTicks(xMaxData, 5);
  const yTicks = niceTicks(Math.max(0, ...all.map((p) => p.y)), 4);
  const xMax = xTicks.at(-1)!;
  const yMax = yTicks.at(-1)!;
  const grid: string[][] = Array.from({ length: height }, () => Array<string>(plotWidth).fill(' '));
  const col = (x: number) => Math.min(plotWidth - 1, Math.max(0, Math.round((x / xMax) * (plotWidth - 1))));
  const row = (y: number) =>
    height - 1 - Math.min(height - 1, Math.max(0, Math.round((y / yMax) * (height - 1))));
  if (spec.verticalLine && spec.verticalLine.x <= xMax) {
    const c = col(spec.verticalLine.x);
    for (const line of grid) line[c] = ':';
  }
  for (const s of spec.series) {
    for (const p of s.points)
      if (Number.isFinite(p.x) && Number.isFinite(p.y)) grid[row(p.y)]![col(p.x)] = s.marker;
  }
  if (spec.mark) grid[row(spec.mark.y)]![col(spec.mark.x)] = spec.mark.marker ?? '*';

  const yLabelAt = new Map<number, string>();
  for (const t of yTicks) yLabelAt.set(row(t), formatTick(t));
  const lines: string[] = [spec.yLabel];
  grid.forEach((cells, r) => {
    const label = (yLabelAt.get(r) ?? '').padStart(GUTTER - 2);
    lines.push(`${label} |${cells.join('').trimEnd()}`);
  });
  lines.push(`${' '.repeat(GUTTER - 1)}+${'-'.repeat(plotWidth)}`);
  const tickRow = Array<string>(width).fill(' ');
  let freeFrom = 0;
  for (const t of xTicks) {
    const text = formatTick(t);
    const start = Math.min(width - text.length, Math.max(0, GUTTER + col(t) - Math.floor(text.length / 2)));
    if (start < freeFrom) continue;
    for (let i = 0; i < text.length; i++) tickRow[start + i] = text[i]!;
    freeFrom = start + text.length + 1;
  }
  lines.push(tickRow.join('').trimEnd());
  lines.push(
    spec.xLabel.padStart(Math.min(width, GUTTER + Math.floor((plotWidth + spec.xLabel.length) / 2))),
  );
  const legend = spec.series.map((s) => `${s.marker} ${s.label}`);
  if (spec.mark) legend.push(`${spec.mark.marker ?? '*'} ${spec.mark.label}`);
  if (spec.verticalLine) legend.push(`: ${spec.verticalLine.label}`);
  lines.push(legend.join('   '));
  return `${lines.map((l) => l.slice(0, width)).join('\n')}\n`;
}
