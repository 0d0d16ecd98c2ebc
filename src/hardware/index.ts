export {
  loadSystemFile,
  ncclMemBytes,
  SHIPPED_SYSTEMS_DIR,
  SystemRegistry,
  tensorFlopsPerS,
} from './system-registry.js';
export { type SystemSpec, SystemSpecSchema } from './system-spec.js';
