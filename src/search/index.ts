// Public surface of the search layer.
export { defaultCtxTokensChoices } from './agg-candidates.js';
export { DEFAULT_BATCH_LADDER, DEFAULT_PREFILL_BATCH_LADDER, feasibleBatches } from './batch-ladder.js';
export {
  type ExperimentSpec,
  ExperimentSpecSchema,
  experimentsToYaml,
  formatKeyPath,
  type KnownNames,
  parseExperiments,
  parseExperimentsYaml,
} from './experiment-schema.js';
export { compareByObjective, objectiveRatio, objectiveScore } from './objective.js';
export { describeParallel, enumerateParallel, gpusPerWorker } from './parallel-candidates.js';
export { dominates, paretoFront } from './pareto-front.js';
export {
  type LoadTarget,
  type Recommendation,
  type RecommendOptions,
  type RecommendResult,
  recommendDeployment,
  sizeForTarget,
} from './recommend-deployment.js';
export { replicaHourUsd, scaleToBudget } from './replica-scaling.js';
export {
  type EstimatorFactory,
  type ExperimentEstimators,
  type ExperimentOutcome,
  runExperiments,
  searchOptionsFor,
  slaOf,
  workloadOf,
} from './run-experiments.js';
export { distinctOutcomes, rankPoints, searchDeployments, summariseFailures } from './search-deployments.js';
export * from './search-types.js';
export { checkSla, isEnforced, meetsAllButTpot } from './sla-filter.js';
