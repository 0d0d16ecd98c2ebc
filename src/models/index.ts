// The models layer: model facts (catalog + HF config parsing), parallel-layout rules,
// quantisation defaults, step -> op decomposition and memory facts. Reading guide: docs/models.md.
export {
  listCatalogEntries,
  listModels,
  listUnsupportedModels,
  loadModel,
  readCatalogDir,
  SHIPPED_MODELS_DIR,
} from './catalog.js';
export { parseHfQuantConfig, parseQuantizationConfig } from './checkpoint-quant.js';
export { decomposeStep, type ModelOp, type OpRole } from './decompose-step.js';
export { idFromPath, loadHfConfig, specFromHfConfig } from './hf-config.js';
export { countParams, kvBytesPerTokenPerGpu, weightBytesPerGpu } from './model-memory.js';
export {
  ARCHITECTURES,
  type Architecture,
  attentionType,
  type CatalogEntry,
  CatalogEntrySchema,
  type LayerAttentionType,
  type ModelSpec,
  ModelSpecSchema,
  type QuantConfig,
  QuantConfigSchema,
  type UnsupportedEntry,
} from './model-spec.js';
export {
  gpusPerWorker,
  layersPerStage,
  type ParallelConfig,
  pipelineHops,
  validateParallel,
} from './parallel-config.js';
export {
  BF16_QUANT,
  describeQuant,
  type QuantPolicy,
  resolveQuant,
  smDefaultQuant,
} from './quant-config.js';
export { decodeStep, prefillStep, prefixedShareOf, type StepShape } from './step-shape.js';
