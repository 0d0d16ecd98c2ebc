export { loadTableFile } from './file-loaders.js';
export { type ConvertedTable, exportPerfDataCsv, importPerfData, tableToCsv } from './import-export.js';
export {
  prefersSameSplit as prefersMoeSameSplit,
  type SplitAxis,
  type SplitEvidence,
} from './moe-split-rule.js';
export * from './op-query.js';
export {
  EMBEDDED_PERF_DIR,
  listPerfData,
  loadTableIndex,
  type OpenPerfDatabaseOptions,
  openPerfDatabase,
  type PerfDataEntry,
  resolvePerfVersion,
  scanPerfDataDir,
} from './open-perf-database.js';
export { NCCL_BACKEND, type PerfCatalog, scanPerfData, type TableFileRef } from './perf-data-catalog.js';
export type { PerfTable } from './perf-table.js';
export {
  checkPerfFile,
  checkPerfTable,
  DEFAULT_GATE_THRESHOLDS,
  type GateResult,
  type GateStatus,
  type GateThresholds,
  type TableReport,
  type ValidationReport,
  validatePerfData,
} from './quality-gates.js';
export { elementwiseTraffic, SolModel, tableDtypeBytes } from './speed-of-light.js';
export { describeOp, LEGACY_EFFICIENCY, TableDatabase } from './table-database.js';
export { FAMILIES, PREFIX_COLUMNS, TABLE_NAMES, TABLE_SCHEMAS, type TableName } from './table-schemas.js';
export { compareVersions, nearestVersion, newestVersion } from './version-order.js';
