export { simulateAgg } from './agg-simulation.js';
export {
  checkWorkload,
  createEstimator,
  type EstimatorOptions,
  MAX_NEXTN,
  type RoleSystem,
  type ServingEstimatorHandle,
} from './estimator.js';
export type {
  AggConfig,
  DisaggConfig,
  DisaggRole,
  Estimator,
  MemoryFit,
  ProvenanceShares,
  ServingConfig,
  ServingMetrics,
  StaticConfig,
  TpotParts,
  TtftParts,
  WorkerParallel,
  Workload,
} from './serving-types.js';
