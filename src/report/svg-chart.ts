// Hand-written SVG scatter/line charts: series, axes with ticks, grid, legend, title, a marked point.
// Output is a pure function of the spec (fixed number formatting, no ids or clocks): diff-friendly.
import { formatTick, niceTicks } from './number-format.js';

export interface SvgPoint {
  readonly x: number;
  readonly y: number;
}

export interface SvgSeries {
  readonly name: string;
  readonly points: readonly SvgPoint[];
  /**
   * 'line' joins points in x order (a Pareto front); 'cloud' draws small faint dots; 'guide' a thin
   * dashed grey line without dots (a reference such as y = x).
   */
  readonly style: 'line' | 'points' | 'cloud' | 'guide';
  /** Series sharing a colour group use one colour (a front and its cloud). Default: its own. */
  readonly colorGroup?: string;
  /** Leave out of the legend (e.g. the cloud behind a front). */
  readonly hideInLegend?: boolean;
}

export interface SvgChartSpec {
  readonly title: string;
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly SvgSeries[];
  readonly marked?: SvgPoint & { readonly label: string };
  readonly verticalLines?: readonly { readonly x: number; readonly label: string }[];
  /** Logarithmic axes (both), for values spanning decades; points at or below zero are left out. */
  readonly logAxes?: boolean;
  /** Legend corner (default top right). */
  readonly legendAt?: 'top-right' | 'top-left';
  readonly width?: number;
  readonly height?: number;
}

/** Colour-blind-safe palette (Okabe-Ito), in order of use. */
export const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#F0E442',
  '#000000',
];

/** Reference lines (y = x, error bands): grey, behind the data in meaning if not in order. */
const GUIDE_COLOR = '#999999';

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

const n = (v: number) => (Math.round(v * 10) / 10).toFixed(1);

interface Axis {
  readonly ticks: readonly number[];
  readonly max: number;
  /** Position of a value along the axis, 0 at the start and 1 at the end. */
  readonly at: (value: number) => number;
}

function linearAxis(max: number, target: number): Axis {
  const ticks = niceTicks(max, target);
  const top = ticks.at(-1)!;
  return { ticks, max: top, at: (v) => v / top };
}

/** Whole decades around the data, with 2 and 5 between when it spans at most two decades. */
function logAxis(values: readonly number[]): Axis {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(positive.length ? Math.min(...positive) : 1));
  let hi = Math.ceil(Math.log10(positive.length ? Math.max(...positive) : 10));
  if (hi <= lo) hi = lo + 1;
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const mant of hi - lo <= 2 ? [1, 2, 5] : [1]) {
      const t = Number((mant * 10 ** e).toPrecision(12));
      if (t <= 10 ** hi) ticks.push(t);
    }
  }
  return { ticks, max: 10 ** hi, at: (v) => (Math.log10(v) - lo) / (hi - lo) };
}

export function renderSvgChart(spec: SvgChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 480;
  const m = { left: 72, right: 24, top: spec.subtitle ? 62 : 48, bottom: 58 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const finite = (p: SvgPoint) =>
    Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.logAxes || (p.x > 0 && p.y > 0));
  const all = [...spec.series.flatMap((s) => s.points), ...(spec.marked ? [spec.marked] : [])].filter(finite);
  const vx = (spec.verticalLines ?? []).map((l) => l.x);
  const xAxis = spec.logAxes
    ? logAxis([...all.map((p) => p.x), ...vx.filter((x) => x > 0)])
    : linearAxis(Math.max(0, ...all.map((p) => p.x), ...vx), 6);
  const yAxis = spec.logAxes
    ? logAxis(all.map((p) => p.y))
    : linearAxis(Math.max(0, ...all.map((p) => p.y)), 5);
  const xTicks = xAxis.ticks;
  const yTicks = yAxis.ticks;
  const xMax = xAxis.max;
  const sx = (x: number) => m.left + xAxis.at(x) * plotW;
  const sy = (y: number) => m.top + plotH - yAxis.at(y) * plotH;

  const colors = new Map<string, string>();
  const colorOf = (s: SvgSeries) => {
    const key = s.colorGroup ?? s.name;
    if (!colors.has(key)) colors.set(key, PALETTE[colors.size % PALETTE.length]!);
    return colors.get(key)!;
  };

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="title" x="${n(width / 2)}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(spec.title)}</text>`,
  );
  if (spec.subtitle) {
    out.push(
      `<text class="subtitle" x="${n(width / 2)}" y="44" text-anchor="middle" fill="#555555">${escapeXml(spec.subtitle)}</text>`,
    );
  }
  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const t of xTicks)
    out.push(`<line x1="${n(sx(t))}" y1="${n(m.top)}" x2="${n(sx(t))}" y2="${n(m.top + plotH)}"/>`);
  for (const t of yTicks)
    out.push(`<line x1="${n(m.left)}" y1="${n(sy(t))}" x2="${n(m.left + plotW)}" y2="${n(sy(t))}"/>`);
  out.push('</g>');
  out.push('<g class="axes" stroke="#333333" stroke-width="1">');
  out.push(
    `<line x1="${n(m.left)}" y1="${n(m.top + plotH)}" x2="${n(m.left + plotW)}" y2="${n(m.top + plotH)}"/>`,
  );
  out.push(`<line x1="${n(m.left)}" y1="${n(m.top)}" x2="${n(m.left)}" y2="${n(m.top + plotH)}"/>`);
  out.push('</g>');
  out.push('<g class="ticks" fill="#333333">');
  for (const t of xTicks) {
    out.push(
      `<text x="${n(sx(t))}" y="${n(m.top + plotH + 18)}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  for (const t of yTicks) {
    out.push(`<text x="${n(m.left - 8)}" y="${n(sy(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push('</g>');
  out.push(
    `<text class="x-label" x="${n(m.left + plotW / 2)}" y="${n(height - 14)}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text class="y-label" x="18" y="${n(m.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 18 ${n(m.top + plotH / 2)})">${escapeXml(spec.yLabel)}</text>`,
  );

  for (const line of spec.verticalLines ?? []) {
    if (!(line.x <= xMax)) continue;
    out.push(
      `<g class="reference"><line x1="${n(sx(line.x))}" y1="${n(m.top)}" x2="${n(sx(line.x))}" y2="${n(m.top + plotH)}" stroke="#888888" stroke-dasharray="5 4"/>`,
      `<text x="${n(sx(line.x) + 4)}" y="${n(m.top + 12)}" fill="#666666">${escapeXml(line.label)}</text></g>`,
    );
  }

  // Clouds first so fronts and the marked point draw on top.
  const ordered = [...spec.series].sort((a, b) => Number(b.style === 'cloud') - Number(a.style === 'cloud'));
  for (const s of ordered) {
    const pts = s.points.filter(finite);
    if (s.style === 'guide') {
      if (pts.length > 1) {
        const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${n(sx(p.x))} ${n(sy(p.y))}`).join(' ');
        out.push(
          `<path class="guide" data-name="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${GUIDE_COLOR}" stroke-width="1" stroke-dasharray="6 4"/>`,
        );
      }
      continue;
    }
    const color = colorOf(s);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}" fill="${color}" stroke="${color}">`);
    if (s.style === 'line' && pts.length > 1) {
      const d = [...pts]
        .sort((a, b) => a.x - b.x)
        .map((p, i) => `${i === 0 ? 'M' : 'L'}${n(sx(p.x))} ${n(sy(p.y))}`)
        .join(' ');
      out.push(`<path d="${d}" fill="none" stroke-width="2"/>`);
    }
    const r = s.style === 'cloud' ? 1.8 : 3.5;
    const opacity = s.style === 'cloud' ? ' fill-opacity="0.25" stroke="none"' : '';
    for (const p of pts) out.push(`<circle cx="${n(sx(p.x))}" cy="${n(sy(p.y))}" r="${r}"${opacity}/>`);
    out.push('</g>');
  }

  if (spec.marked && finite(spec.marked)) {
    const x = sx(spec.marked.x);
    const y = sy(spec.marked.y);
    const star = Array.from({ length: 10 }, (_, i) => {
      const radius = i % 2 === 0 ? 9 : 4;
      const angle = -Math.PI / 2 + (i * Math.PI) / 5;
      return `${n(x + radius * Math.cos(angle))},${n(y + radius * Math.sin(angle))}`;
    }).join(' ');
    // The legend sits top right: keep the label out of it (below the star near the top).
    const anchorEnd = x > m.left + plotW * 0.6;
    const labelY = y < m.top + plotH * 0.35 ? y + 22 : y - 10;
    out.push(
      `<g class="marked"><polygon points="${star}" fill="#FFD700" stroke="#000000" stroke-width="1"/>`,
      `<text x="${n(anchorEnd ? x - 12 : x + 12)}" y="${n(labelY)}" text-anchor="${anchorEnd ? 'end' : 'start'}" font-weight="bold" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(spec.marked.label)}</text></g>`,
    );
  }

  const legendItems = spec.series.filter((s) => !s.hideInLegend);
  if (legendItems.length > 0) {
    const itemH = 18;
    const boxW = Math.min(plotW / 2, 16 + 7 * Math.max(...legendItems.map((s) => s.name.length)) + 24);
    const bx = spec.legendAt === 'top-left' ? m.left + 8 : m.left + plotW - boxW - 8;
    const by = m.top + 8;
    out.push(
      `<g class="legend"><rect x="${n(bx)}" y="${n(by)}" width="${n(boxW)}" height="${n(legendItems.length * itemH + 8)}" fill="#ffffff" fill-opacity="0.9" stroke="#cccccc"/>`,
    );
    legendItems.forEach((s, i) => {
      const y = by + 4 + itemH * i + itemH / 2;
      const mark =
        s.style === 'guide'
          ? [
              `<line x1="${n(bx + 8)}" y1="${n(y)}" x2="${n(bx + 24)}" y2="${n(y)}" stroke="${GUIDE_COLOR}" stroke-width="1" stroke-dasharray="6 4"/>`,
            ]
          : [
              `<line x1="${n(bx + 8)}" y1="${n(y)}" x2="${n(bx + 24)}" y2="${n(y)}" stroke="${colorOf(s)}" stroke-width="2"/>`,
              `<circle cx="${n(bx + 16)}" cy="${n(y)}" r="3.5" fill="${colorOf(s)}"/>`,
            ];
      out.push(...mark, `<text x="${n(bx + 30)}" y="${n(y + 4)}">${escapeXml(s.name)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
