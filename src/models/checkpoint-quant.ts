// Reads a checkpoint's own quantisation (config.json `quantization_config`, ModelOpt's
// hf_quant_config.json) into per-component dtypes. Unknown methods are ignored (bf16 assumed),
// never guessed. Rules and their reasons: docs/models.md "Quantisation".
import { z } from 'zod';
import type { Dtype } from '../common/index.js';
import type { QuantConfig } from './model-spec.js';

export type CheckpointQuant = Partial<QuantConfig>;

const WeightsSchema = z.looseObject({
  num_bits: z.number().nullish(),
  type: z.string().nullish(),
});

const QuantizationConfigSchema = z.looseObject({
  quant_method: z.string().nullish(),
  quant_algo: z.string().nullish(),
  moe_quant_algo: z.string().nullish(),
  weight_block_size: z.array(z.number()).nullish(),
  kv_cache_scheme: z
    .union([z.string(), z.looseObject({ num_bits: z.number().nullish(), type: z.string().nullish() })])
    .nullish(),
  kv_cache_quant_algo: z.string().nullish(),
  config_groups: z.record(z.string(), z.looseObject({ weights: WeightsSchema.nullish() })).nullish(),
  ignore: z.array(z.string()).nullish(),
  exclude_modules: z.array(z.string()).nullish(),
  modules_to_not_convert: z.array(z.string()).nullish(),
  quantized_layers: z.record(z.string(), z.looseObject({ quant_algo: z.string().nullish() })).nullish(),
});
type QuantizationConfig = z.output<typeof QuantizationConfigSchema>;

/** hf_quant_config.json as written by NVIDIA ModelOpt. */
const HfQuantFileSchema = z.looseObject({ quantization: QuantizationConfigSchema });

function algoDtype(algo: string | null | undefined): Dtype | undefined {
  switch (algo?.toUpperCase()) {
    case 'FP8':
      return 'fp8';
    case 'FP8_BLOCK':
    case 'FP8_PB_WO':
      return 'fp8_block';
    case 'NVFP4':
      return 'nvfp4';
    case 'MXFP4':
      return 'mxfp4';
    case 'W4A16_AWQ':
    case 'INT4_AWQ':
      return 'int4_wo';
    default:
      return undefined;
  }
}

function kvDtype(q: QuantizationConfig): Dtype | undefined {
  const scheme = q.kv_cache_scheme;
  if (typeof scheme === 'string') return algoDtype(scheme);
  if (scheme && scheme.num_bits === 8 && scheme.type === 'float') return 'fp8';
  return algoDtype(q.kv_cache_quant_algo);
}

/** Which weight groups a module-exclusion list keeps in 16-bit. */
function exclusions(patterns: readonly string[]): { attention: boolean; experts: boolean } {
  return {
    // Excluding any attention projection keeps the non-expert GEMMs of the layer in bf16 (see docs).
    attention: patterns.some((p) => /self_attn|\.attn\./.test(p)),
    experts: patterns.some((p) => /experts/.test(p) && !/shared_expert/.test(p)),
  };
}

function compressedTensorsDtype(q: QuantizationConfig): Dtype | undefined {
  for (const group of Object.values(q.config_groups ?? {})) {
    const w = group.weights;
    if (!w) continue;
    if (w.num_bits === 4 && w.type === 'int') return 'int4_wo';
    if (w.num_bits === 4 && w.type === 'float') return 'nvfp4';
    if (w.num_bits === 8 && w.type === 'float') return 'fp8';
    if (w.num_bits === 8 && w.type === 'int') return 'int8';
  }
  return undefined;
}

function fromQuantization(q: QuantizationConfig): CheckpointQuant {
  const method = q.quant_method?.toLowerCase();
  const excluded = exclusions([
    ...(q.ignore ?? []),
    ...(q.exclude_modules ?? []),
    ...(q.modules_to_not_convert ?? []),
  ]);
  let weights: Dtype | undefined;
  let moeWeights: Dtype | undefined;
  if (q.quant_algo && q.quant_algo.toUpperCase() !== 'MIXED_PRECISION') {
    // ModelOpt (quant_method 'modelopt' or bare quant_algo).
    weights = algoDtype(q.quant_algo);
  } else if (q.quant_algo?.toUpperCase() === 'MIXED_PRECISION' || q.quantized_layers) {
    const layers = Object.entries(q.quantized_layers ?? {});
    moeWeights =
      algoDtype(q.moe_quant_algo) ??
      algoDtype(layers.find(([name]) => /experts/.test(name) && !/shared/.test(name))?.[1].quant_algo);
    weights = algoDtype(layers.find(([name]) => !/experts/.test(name))?.[1].quant_algo);
    if (method === 'fp8' && !weights) weights = q.weight_block_size ? 'fp8_block' : 'fp8';
  } else if (method === 'fp8') {
    weights = q.weight_block_size ? 'fp8_block' : 'fp8';
  } else if (method === 'mxfp4') {
    // GPT-OSS: only the experts are MXFP4 (attention, router, embeddings stay bf16).
    moeWeights = 'mxfp4';
  } else if (method === 'compressed-tensors') {
    weights = compressedTensorsDtype(q);
  }
  const out: { -readonly [K in keyof QuantConfig]?: Dtype } = {};
  const moe = moeWeights ?? (excluded.experts ? undefined : weights);
  const gemm = excluded.attention ? undefined : weights;
  if (gemm) out.gemm = gemm;
  if (moe) out.moe = moe;
  const kv = kvDtype(q);
  if (kv) out.kvCache = kv;
  return out;
}

/** The checkpoint quantisation declared by a config.json's `quantization_config` (raw object). */
export function parseQuantizationConfig(raw: unknown): CheckpointQuant {
  if (raw === undefined || raw === null) return {};
  const parsed = QuantizationConfigSchema.safeParse(raw);
  return parsed.success ? fromQuantization(parsed.data) : {};
}

/** The checkpoint quantisation declared by an hf_quant_config.json (raw object). */
export function parseHfQuantConfig(raw: unknown): CheckpointQuant {
  const parsed = HfQuantFileSchema.safeParse(raw);
  return parsed.success ? fromQuantization(parsed.data.quantization) : {};
}
