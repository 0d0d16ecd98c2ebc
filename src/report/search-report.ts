// The full console report of a search: summary box, Pareto chart, top-N tables.
import type { SearchResult } from '../search/index.js';
import { renderParetoAscii } from './pareto-ascii.js';
import { renderSearchSummary } from './search-summary.js';
import { renderTopTables } from './top-table.js';

export function renderSearchReport(result: SearchResult, options: { chart?: boolean } = {}): string {
  const parts = [renderSearchSummary(result)];
  const hasFront = result.modes.some((m) => (result.paretoByMode[m]?.length ?? 0) > 0);
  if (options.chart !== false && hasFront) parts.push(`\n${renderParetoAscii(result)}`);
  parts.push(`\n${renderTopTables(result)}`);
  return parts.join('');
}
