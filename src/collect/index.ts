// Public surface of the collector layer.
export {
  type CampaignEvent,
  type CampaignOptions,
  type CampaignReport,
  type OpReport,
  runCampaign,
} from './campaign.js';
export {
  type CollectFlags,
  CollectFlagsSchema,
  type PlanSummaryRow,
  type ResolvedCollect,
  resolveCollect,
  summarizePlans,
} from './campaign-cli.js';
export { GRID_SIZES, type GridSize } from './case-grids.js';
export { type CaseParams, type CollectCase, caseId, makeCase, planHash } from './case-params.js';
export { buildPlan, estimatePlanSeconds, type OpPlan, type PlanOptions } from './case-plan.js';
export { catalogModelSource } from './catalog-source.js';
export {
  renderK8sIndexedJob,
  renderShardManifest,
  renderSlurmArray,
  resolveShardRequest,
  SHARD_TARGETS,
  type ShardRenderOptions,
  type ShardRequest,
  type ShardTarget,
  slurmLogDir,
} from './cluster-shard.js';
export {
  defaultStepLadder,
  type ImpossibleLayout,
  type ModelOpSource,
  planModelCases,
  queryToCase,
  type StepShape,
} from './model-plan.js';
export { type ModelShape, modelShapeOf } from './model-shape.js';
export { BACKENDS, COLLECT_OPS, type CollectOp, OP_REGISTRY, type OpSpec } from './op-registry.js';
export { loadPlanFile, savePlanFile, shardPlans } from './plan-file.js';
export { createProgressDisplay } from './progress-display.js';
export { COLLECTOR_VERSION, collectorCodeHash, collectorGitSha, defaultWorkerCommand } from './provenance.js';
export { chartsFor, type GateSummary, runQualityGates } from './quality-hook.js';
export {
  type ReferenceMeasurement,
  type ReferenceStepRequest,
  referenceRequestJson,
  referenceRunnerLaunch,
  runReferenceStep,
} from './reference-runner.js';
export { type ChartReport, writeSanityCharts } from './sanity-charts.js';
export { type MergeReport, mergeCollections } from './shard-merge.js';
export { frameworkVersionLabel, systemForDevice } from './system-naming.js';
export { SAFE_GPU_ENV } from './worker-process.js';
