export {
  type AccuracyEntry,
  type AccuracyProfile,
  accuracyFor,
  accuracyLine,
  accuracyProfile,
  EMBEDDED_ACCURACY_PROFILE,
  loadAccuracyProfile,
} from './accuracy-profile.js';
export {
  predictReferenceStep,
  type ReferencePoint,
  type ReferencePrediction,
  referenceStep,
  truncateLayers,
} from './reference-compare.js';
export {
  type OpenRowDatabasesOptions,
  openRowDatabases,
  type PartitionScore,
  predictRow,
  rowToConfig,
  type SiliconCompareDeps,
  type SiliconPrediction,
  type SiliconReport,
  scorePredictions,
  sizeUnrecordedWorkers,
} from './silicon-compare.js';
export { parseSiliconCsv, type RowProblem, readSiliconCsv, type SiliconCsv } from './silicon-csv.js';
export { type SiliconRow, SiliconRowSchema, siliconConcurrency } from './silicon-row.js';
