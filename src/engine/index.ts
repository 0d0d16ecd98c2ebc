export { BACKENDS, type Backend, type BackendProfile, backendProfile, isBackend } from './backend-profile.js';
export { type MemoryBreakdown, memoryPerGpu } from './memory-model.js';
export { StepEngine, type StepEngineOptions } from './step-engine.js';
export {
  emptyProvenanceMs,
  launchProfile,
  type OpTiming,
  priceStep,
  type StepLatency,
  withLaunchCost,
} from './step-latency.js';
