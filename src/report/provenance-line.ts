// One line saying how much of the predicted time rests on measured data.
import type { ProvenanceShares } from '../serving/index.js';
import { formatPercent } from './number-format.js';

const LABELS: readonly [keyof ProvenanceShares, string][] = [
  ['measured', 'measured'],
  ['interpolated', 'interpolated'],
  ['extrapolated', 'extrapolated'],
  ['empirical', 'empirical'],
  ['sol', 'speed-of-light'],
];

export function renderProvenanceLine(shares: ProvenanceShares): string {
  const parts = LABELS.filter(([key]) => shares[key] > 0.0005).map(
    ([key, label]) => `${formatPercent(shares[key])} ${label}`,
  );
  return `Predicted time from: ${parts.length > 0 ? parts.join(', ') : 'no data'}`;
}
