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
  WorkerParallel,
  Workload,
} from './serving-types.js';
