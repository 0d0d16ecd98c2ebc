// How far a measured-results set disagrees with itself: rows that record the same deployment,
// workload and concurrency but different TTFT / TPOT (the same configuration benchmarked in two
// runs). A model reading only these columns gives such rows one prediction, so their spread
// (each row against the mean of its repeats) is error it cannot remove.
import { mean, median } from '../common/index.js';
import { type SiliconRow, siliconConcurrency } from './silicon-row.js';

export interface RepeatSpread {
  /** Configurations measured more than once, and the rows behind them. */
  readonly groups: number;
  readonly rows: number;
  /** Of those, the rows in groups whose measurements differ (identical copies carry no spread). */
  readonly differingRows: number;
  /** Each differing row against the mean of its group's other rows: MAPE and median APE, %. */
  readonly ttftMapePct: number;
  readonly ttftMedianApePct: number;
  readonly tpotMapePct: number;
  readonly tpotMedianApePct: number;
}

/** Columns that are measurements or labels, not the configuration. */
const NOT_CONFIGURATION: ReadonlySet<string> = new Set([
  'id',
  'silicon_data_source',
  'silicon_ttft_ms',
  'silicon_tpot_ms',
]);

function configurationKey(row: SiliconRow): string {
  const parts = Object.entries(row)
    .filter(([column]) => !NOT_CONFIGURATION.has(column))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([column, value]) => `${column}=${value ?? ''}`);
  parts.push(`concurrency=${siliconConcurrency(row) ?? ''}`);
  return parts.join('|');
}

/** Leave-one-out absolute % errors of each value against the mean of the others. */
function leaveOneOutApe(values: readonly number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => (Math.abs((total - v) / (values.length - 1) - v) / v) * 100);
}

/** The spread of the repeated configurations of a set; undefined when no configuration repeats. */
export function repeatSpread(rows: readonly SiliconRow[]): RepeatSpread | undefined {
  const groups = new Map<string, SiliconRow[]>();
  for (const row of rows) {
    const key = configurationKey(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  const repeated = [...groups.values()].filter((g) => g.length > 1);
  if (repeated.length === 0) return undefined;
  const ttft: number[] = [];
  const tpot: number[] = [];
  for (const group of repeated) {
    const ttfts = group.map((r) => r.silicon_ttft_ms);
    const tpots = group.map((r) => r.silicon_tpot_ms);
    const identical = ttfts.every((v) => v === ttfts[0]) && tpots.every((v) => v === tpots[0]);
    if (identical) continue;
    ttft.push(...leaveOneOutApe(ttfts));
    tpot.push(...leaveOneOutApe(tpots));
  }
  // Identical copies only: no spread at all.
  const summary = (values: number[], of: (v: number[]) => number) => (values.length ? of(values) : 0);
  return {
    groups: repeated.length,
    rows: repeated.reduce((n, g) => n + g.length, 0),
    differingRows: ttft.length,
    ttftMapePct: summary(ttft, mean),
    ttftMedianApePct: summary(ttft, median),
    tpotMapePct: summary(tpot, mean),
    tpotMedianApePct: summary(tpot, median),
  };
}

/** One line for reports. */
export function repeatSpreadLine(spread: RepeatSpread): string {
  const pct = (v: number) => `${v.toFixed(1)}%`;
  return (
    `measured more than once: ${spread.rows} rows in ${spread.groups} configurations, ${spread.differingRows} ` +
    `with differing results; each against the mean of its repeats: TTFT MAPE ${pct(spread.ttftMapePct)} ` +
    `(median ${pct(spread.ttftMedianApePct)}), TPOT MAPE ${pct(spread.tpotMapePct)} ` +
    `(median ${pct(spread.tpotMedianApePct)}): their own spread, which no prediction from these columns can follow`
  );
}
