// One row of a measured-serving CSV (the format of shared/silicon/dev.csv): the deployment that
// was benchmarked and the TTFT/TPOT it delivered. Parsed and checked per row so a bad row is
// reported and the rest still predicted.
import { z } from 'zod';
import type { EngineSettings } from '../engine/index.js';

// 0 means "not used" in some exports (e.g. moe_ep_size 0 for a dense model): same as empty.
const optionalInt = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' || v.trim() === '0' ? undefined : Number(v)))
  .refine((v) => v === undefined || (Number.isInteger(v) && v > 0), 'must be a positive integer, 0 or empty');

const requiredInt = z
  .string()
  .transform((v) => Number(v))
  .refine((v) => Number.isInteger(v) && v > 0, 'must be a positive integer');

const positiveNumber = z
  .string()
  .transform((v) => Number(v))
  .refine((v) => Number.isFinite(v) && v > 0, 'must be a positive number');

export const SiliconRowSchema = z.object({
  id: z.string().min(1),
  silicon_data_source: z.string().default(''),
  backend: z.string().min(1),
  backend_version: z.string().default(''),
  model_path: z.string().min(1),
  system: z.string().min(1),
  precision: z.string().default(''),
  mode: z.enum(['agg', 'disagg']),
  isl: requiredInt,
  osl: requiredInt,
  gemm_quant_mode: z.string().default(''),
  moe_quant_mode: z.string().default(''),
  batch_size: optionalInt,
  tp_size: optionalInt,
  pp_size: optionalInt,
  attention_dp_size: optionalInt,
  moe_tp_size: optionalInt,
  moe_ep_size: optionalInt,
  prefill_batch_size: optionalInt,
  prefill_num_workers: optionalInt,
  prefill_tp_size: optionalInt,
  prefill_pp_size: optionalInt,
  prefill_attention_dp_size: optionalInt,
  prefill_moe_tp_size: optionalInt,
  prefill_moe_ep_size: optionalInt,
  decode_batch_size: optionalInt,
  decode_num_workers: optionalInt,
  decode_tp_size: optionalInt,
  decode_pp_size: optionalInt,
  decode_attention_dp_size: optionalInt,
  decode_moe_tp_size: optionalInt,
  decode_moe_ep_size: optionalInt,
  silicon_ttft_ms: positiveNumber,
  silicon_tpot_ms: positiveNumber,
});

export type SiliconRow = z.infer<typeof SiliconRowSchema>;

export const REQUIRED_COLUMNS = [
  'id',
  'backend',
  'model_path',
  'system',
  'mode',
  'isl',
  'osl',
  'silicon_ttft_ms',
  'silicon_tpot_ms',
] as const;

/** Benchmark client concurrency, carried in the source text as `silicon_concurrency=N`. */
export function siliconConcurrency(row: SiliconRow): number | undefined {
  const match = /silicon_concurrency=(\d+)/.exec(row.silicon_data_source);
  return match ? Number(match[1]) : undefined;
}

/**
 * Engine settings a row records in its source text where they differ from the engine's defaults:
 * `cuda_graphs=off` (decode steps ran eagerly, e.g. vLLM --enforce-eager).
 */
export function siliconEngineSettings(row: SiliconRow): EngineSettings {
  return /(?:^|[;\s])cuda_graphs=(?:off|false)(?:$|[;\s])/.test(row.silicon_data_source)
    ? { cudaGraphs: false }
    : {};
}
