// The full console report of a search: summary box, Pareto chart, top-N tables.
import type { SearchResult } from '../search/index.js';
import { renderParetoAscii } from './pareto-ascii.js';
import { renderSearchSummary } from './search-summary.js';
import { renderTopTables } from './top-table.js';

export function renderSearchReport(result: SearchResult, options: { chart?: boolean } = {}): string {
  const parts = [renderSearchSummary(result)];
  if (options.chart !== false && result.points.length > 0) parts.push(`\n${renderParetoAscii(result)}`);
  parts.push(`\n${renderTopTables(result)}`);
  return parts.join('');
}
