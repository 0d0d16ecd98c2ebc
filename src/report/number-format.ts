// Number formatting shared by the text and chart renderers: few digits, never exponent notation.

/** 3-4 significant figures: 1234, 123.4, 12.34, 1.234, 0.1234. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 10) return value.toFixed(2);
  if (abs >= 1 || abs === 0) return value.toFixed(abs === 0 ? 0 : 3);
  return value.toPrecision(3);
}

export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(0)}%`;
}

/** Tick values 1-2-5 spaced covering [0, max]. */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const rough = max / target;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let i = 0; i * step <= max * (1 + 1e-9) + step; i++) {
    ticks.push(Number((i * step).toPrecision(12)));
    if (i * step >= max) break;
  }
  return ticks;
}

/** A tick label without float noise (0.30000000000000004 -> 0.3). */
export function formatTick(value: number): string {
  if (Math.abs(value) >= 10000) return `${Number((value / 1000).toPrecision(6))}k`;
  return `${Number(value.toPrecision(6))}`;
}
