export {
  ncclMemBytes,
  SystemRegistry,
  tensorFlopsPerS,
  weightOnlyOn,
} from './system-registry.js';
export { type SystemSpec, SystemSpecSchema } from './system-spec.js';
