export {
  BACKENDS,
  type Backend,
  type BackendProfile,
  backendProfile,
  type EngineSettings,
  isBackend,
  isSchedulerPolicy,
  pricesLaunchCost,
  SCHEDULER_POLICIES,
  type SchedulerPolicy,
} from './backend-profile.js';
export type { MemoryBreakdown } from './memory-model.js';
export { StepEngine, type StepEngineOptions } from './step-engine.js';
export {
  emptyProvenanceMs,
  type OpTiming,
  type StepLatency,
} from './step-latency.js';
export { snapToGrid } from './token-grid.js';
