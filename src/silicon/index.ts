export {
  type AccuracyEntry,
  type AccuracyProfile,
  accuracyFor,
  accuracyLine,
  accuracyProfile,
  clientsPerRank,
  EMBEDDED_STEP_ACCURACY,
  EMBEDDED_TORCH_SERVING_ACCURACY,
  type EstimateBasis,
  LOAD_BUCKETS,
  type LoadBucket,
  loadAccuracyProfile,
  loadBucket,
  loadStepAccuracy,
  type MeasuredAccuracy,
  measuredAccuracy,
  type StepAccuracy,
  stepAccuracy,
  stepAccuracyLine,
} from './accuracy-profile.js';
export { checkMeasurement, type MeasurementCheck, SOL_UTILISATION_LIMIT } from './measurement-check.js';
export {
  predictReferenceStep,
  type ReferencePoint,
  type ReferencePrediction,
  referenceStep,
  truncateLayers,
} from './reference-compare.js';
export {
  predictReferenceCsv,
  type ReferenceRow,
  shippedReferenceFiles,
} from './reference-csv.js';
export { type RepeatSpread, repeatSpread, repeatSpreadLine } from './repeat-spread.js';
export { rowQuantOverrides, rowToConfig, sizeUnrecordedWorkers } from './row-deployment.js';
export {
  compareSiliconRows,
  type ErrorContribution,
  type OpenRowDatabasesOptions,
  openRowDatabases,
  type PartitionScore,
  predictRow,
  type SiliconCompareDeps,
  type SiliconPrediction,
  type SiliconReport,
  scorePredictions,
} from './silicon-compare.js';
export {
  parseSiliconCsv,
  type RowProblem,
  readSiliconCsv,
  readSiliconCsvs,
  refuseOverwritingInputs,
  refuseRepeatedFiles,
  type SiliconCsv,
} from './silicon-csv.js';
export {
  type BenchmarkClient,
  rowBenchmarkClient,
  rowCtxTokens,
  rowMoeRouting,
  rowPrefix,
  type SiliconRow,
  SiliconRowSchema,
  siliconConcurrency,
  siliconEngineSettings,
  sourceLabel,
} from './silicon-row.js';
