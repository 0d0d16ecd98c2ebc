// One row of a measured-serving CSV (the format of shared/silicon/dev.csv): the deployment that
// was benchmarked and the TTFT/TPOT it delivered. Parsed and checked per row so a bad row is
// reported and the rest still predicted.
import { z } from 'zod';
import { InvalidConfigError } from '../common/index.js';
import { type EngineSettings, isSchedulerPolicy, SCHEDULER_POLICIES } from '../engine/index.js';
import { MOE_ROUTINGS, type MoeRouting } from '../perfdb/index.js';

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
 * Where a row comes from: the first field of its source text (`source_file=` dropped, a path cut to
 * its last three parts, e.g. `sglang/0.5.1.post1/Qwen_Qwen3-32B.csv`); `unnamed` without one.
 */
export function sourceLabel(row: SiliconRow): string {
  const first = row.silicon_data_source.split(';')[0]?.trim() ?? '';
  const value = first.startsWith('source_file=') ? first.slice('source_file='.length) : first;
  if (value === '') return 'unnamed';
  return value.split('/').filter(Boolean).slice(-3).join('/');
}

/** The benchmark client behind a row (see EstimatorOptions): unset fields take the assumed one. */
export interface BenchmarkClient {
  /** Requests sent in all, in multiples of the concurrency (may be fractional). */
  readonly waves?: number;
  /** Request lengths uniform in [lengthRatio, 1] x nominal. */
  readonly lengthRatio?: number;
}

/** A `key=value` fact of the source text, or undefined. */
function sourceFact(row: SiliconRow, key: string): string | undefined {
  for (const part of row.silicon_data_source.split(';')) {
    const [name, value] = part.split('=', 2).map((s) => s.trim());
    if (name === key && value) return value;
  }
  return undefined;
}

/** A positive number fact; a malformed one is an error naming the row and the key. */
function positiveFact(row: SiliconRow, key: string, max = Number.POSITIVE_INFINITY): number | undefined {
  const text = sourceFact(row, key);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new InvalidConfigError(
      `silicon_data_source ${key}=${text} must be a number in (0, ${max === Number.POSITIVE_INFINITY ? 'inf' : max}]`,
    );
  }
  return value;
}

/**
 * The benchmark protocol a row records in its source text, where it does: `waves=N` (requests
 * sent = N x concurrency), `requests=N` (requests sent, with the row's concurrency) and
 * `length_ratio=X`. A recorded protocol is a fact of the measurement and wins over the assumed one.
 */
export function rowBenchmarkClient(row: SiliconRow): BenchmarkClient {
  const waves = positiveFact(row, 'waves');
  const requests = positiveFact(row, 'requests');
  const concurrency = siliconConcurrency(row);
  const lengthRatio = positiveFact(row, 'length_ratio', 1);
  const sentWaves = waves ?? (requests !== undefined && concurrency ? requests / concurrency : undefined);
  return {
    ...(sentWaves !== undefined ? { waves: sentWaves } : {}),
    ...(lengthRatio !== undefined ? { lengthRatio } : {}),
  };
}

/**
 * The engine's token budget per step where the run recorded it (`ctx_tokens=N`, what
 * `serving_run.py` writes; vLLM's max_num_batched_tokens); undefined otherwise. A malformed one
 * fails the row naming the key.
 */
export function rowCtxTokens(row: SiliconRow): number | undefined {
  const value = positiveFact(row, 'ctx_tokens');
  if (value !== undefined && !Number.isInteger(value)) {
    throw new InvalidConfigError(`silicon_data_source ctx_tokens=${value} must be a whole number of tokens`);
  }
  return value;
}

/**
 * Prompt tokens each request found cached (a prefix-cache hit), where the run recorded it
 * (`prefix=N`, what `serving_run.py` writes); 0 otherwise. It must leave at least one prompt token
 * to compute: a malformed or too long one fails the row naming the key.
 */
export function rowPrefix(row: SiliconRow): number {
  const text = sourceFact(row, 'prefix');
  if (text === undefined) return 0;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value >= row.isl) {
    throw new InvalidConfigError(
      `silicon_data_source prefix=${text} must be a whole number of tokens below the row's isl (${row.isl})`,
    );
  }
  return value;
}

/**
 * How the row's MoE layers routed tokens, where the run recorded it (`moe_distribution=balanced`:
 * our serving loop routes round-robin, every token to distinct experts); undefined: the estimator's
 * default. A value outside the known routings fails the row naming the key.
 */
export function rowMoeRouting(row: SiliconRow): MoeRouting | undefined {
  const routing = sourceFact(row, 'moe_distribution');
  if (routing === undefined) return undefined;
  if (!(MOE_ROUTINGS as readonly string[]).includes(routing))
    throw new InvalidConfigError(
      `silicon_data_source moe_distribution=${routing} must be one of ${MOE_ROUTINGS.join(', ')}`,
    );
  return routing as MoeRouting;
}

/**
 * Engine settings a row records in its source text where they differ from the engine's defaults:
 * `cuda_graphs=off` (decode steps ran eagerly, e.g. vLLM --enforce-eager) and `scheduler=mixed` or
 * `scheduler=prefill-first` (how prefill and decode shared steps); a malformed scheduler fails the
 * row naming the key.
 */
export function siliconEngineSettings(row: SiliconRow): EngineSettings {
  const eager = /(?:^|[;\s])cuda_graphs=(?:off|false)(?:$|[;\s])/.test(row.silicon_data_source);
  const scheduler = sourceFact(row, 'scheduler');
  if (scheduler !== undefined && !isSchedulerPolicy(scheduler))
    throw new InvalidConfigError(
      `silicon_data_source scheduler=${scheduler} must be one of ${SCHEDULER_POLICIES.join(', ')}`,
    );
  return {
    ...(eager ? { cudaGraphs: false } : {}),
    ...(scheduler !== undefined ? { scheduler } : {}),
  };
}
