// Public surface of the report layer: rendering only, no modelling.
export { type AccuracyChartInput, type AccuracyPoint, accuracyChartSpec } from './accuracy-chart.js';
export { type AsciiScatterSpec, type AsciiSeries, renderAsciiScatter, type XY } from './ascii-scatter.js';
export { POINT_CSV_HEAD, pointCsvRow, pointsToCsv, toCsv } from './csv-format.js';
export { describeDeployment, describeDeploymentShort, describeWorkers } from './deployment-text.js';
export { experimentComparisonCsv, renderExperimentComparison } from './experiment-report.js';
export { formatNumber, formatPercent, formatTick, niceTicks } from './number-format.js';
export { renderParetoAscii } from './pareto-ascii.js';
export { experimentsChartSpec, paretoChartSpec } from './pareto-chart.js';
export { createProgress, type Progress, type ProgressOptions } from './progress.js';
export { renderProvenanceLine } from './provenance-line.js';
export { renderRecommendation } from './recommend-report.js';
export { experimentsJson, pointJson, recommendResultJson, searchResultJson } from './result-json.js';
export {
  bestPoints,
  type ConfigFoldersWriter,
  type ExperimentsSaveOptions,
  type SearchSaveOptions,
  writeExperimentsSaveDir,
  writeSearchSaveDir,
} from './save-dir.js';
export { renderSearchReport } from './search-report.js';
export { describeSla, renderSearchSummary } from './search-summary.js';
export {
  escapeXml,
  PALETTE,
  renderSvgChart,
  type SvgChartSpec,
  type SvgPoint,
  type SvgSeries,
} from './svg-chart.js';
export { renderTable, type TableOptions } from './table.js';
export { renderBox } from './text-box.js';
export { describeTpotParts, describeTtftParts, tpotPartsJson, ttftPartsJson } from './time-parts.js';
export { renderTopTable, renderTopTables } from './top-table.js';
