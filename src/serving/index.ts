export { simulateAgg } from './agg-simulation.js';
export {
  createEstimator,
  type EstimatorOptions,
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
