// The models layer: model facts (catalog + HF config parsing), parallel-layout rules,
// quantisation defaults, step -> op decomposition and memory facts. Reading guide: docs/models.md.
export type { ArchitectureParser, ModelFacts } from './architectures/architecture-parser.js';
export { supportedHfArchitectures, UNSUPPORTED_ARCHITECTURES } from './architectures/registry.js';
export {
  listCatalogEntries,
  listModels,
  listUnsupportedModels,
  loadModel,
  readCatalogDir,
  SHIPPED_MODELS_DIR,
} from './catalog.js';
export { type CheckpointQuant, parseHfQuantConfig, parseQuantizationConfig } from './checkpoint-quant.js';
export {
  type DecomposeOptions,
  decomposeStep,
  type ModelOp,
  OP_ROLES,
  type OpRole,
} from './decompose-step.js';
export { idFromPath, loadHfConfig, specFromHfConfig } from './hf-config.js';
export { countParams, kvBytesPerTokenPerGpu, type ParamCounts, weightBytesPerGpu } from './model-memory.js';
export {
  ARCHITECTURES,
  type Architecture,
  attentionType,
  type CatalogEntry,
  CatalogEntrySchema,
  LAYER_ATTENTION_TYPES,
  type LayerAttentionType,
  type ModelSpec,
  ModelSpecSchema,
  type QuantConfig,
  QuantConfigSchema,
  type UnsupportedEntry,
} from './model-spec.js';
export { gpusPerWorker, layersPerStage, type ParallelConfig, validateParallel } from './parallel-config.js';
export {
  BF16_QUANT,
  describeQuant,
  QUANT_POLICIES,
  type QuantPolicy,
  resolveQuant,
  smDefaultQuant,
} from './quant-config.js';
export {
  decodeStep,
  prefillStep,
  type StepShape,
  StepShapeSchema,
  stepTokens,
  validateStep,
} from './step-shape.js';
