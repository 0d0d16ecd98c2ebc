export {
  ncclMemBytes,
  SystemRegistry,
  tensorFlopsPerS,
} from './system-registry.js';
export { type SystemSpec, SystemSpecSchema } from './system-spec.js';
