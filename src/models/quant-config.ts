// Which numeric formats a deployment runs, per component: the GPU's defaults, then what the
// checkpoint declares, then the user's explicit choices.
import { z } from 'zod';
import { DTYPES, type Dtype, InvalidConfigError } from '../common/index.js';
import type { ModelSpec, QuantConfig } from './model-spec.js';

export type { QuantConfig } from './model-spec.js';

/**
 * 'checkpoint' (default): what serving engines run for the checkpoint out of the box: a bf16
 *   checkpoint runs bf16, an FP8 / NVFP4 / INT4 checkpoint runs its own formats.
 * 'fastest': the fastest formats the GPU runs natively (SM >= 100 nvfp4 + fp8 kv, SM >= 89 fp8
 *   or fp8_block for DeepSeek-style models + fp8 kv), i.e. quantising a bf16 checkpoint online;
 *   a quantised checkpoint still keeps its own formats.
 */
export const QUANT_POLICIES = ['checkpoint', 'fastest'] as const;
export type QuantPolicy = (typeof QUANT_POLICIES)[number];

/** Every component in bf16: what a bf16 checkpoint runs, and the collector's reference formats. */
export const BF16_QUANT: QuantConfig = {
  gemm: 'bfloat16',
  kvCache: 'bfloat16',
  fmha: 'bfloat16',
  moe: 'bfloat16',
  comm: 'bfloat16',
};

const OverridesSchema = z
  .object({
    gemm: z.enum(DTYPES),
    kvCache: z.enum(DTYPES),
    fmha: z.enum(DTYPES),
    moe: z.enum(DTYPES),
    comm: z.enum(DTYPES),
  })
  .partial()
  .strict();

/** Native formats of an SM generation (the 'fastest' policy's base). */
export function smDefaultQuant(model: ModelSpec, smVersion: number): QuantConfig {
  if (smVersion >= 100) return { ...BF16_QUANT, gemm: 'nvfp4', moe: 'nvfp4', kvCache: 'fp8' };
  if (smVersion >= 89) {
    // DeepSeek-style checkpoints ship 128x128 block scales, and engines run them block-wise.
    const blockWise = model.architecture === 'deepseek' || model.checkpointQuant?.gemm === 'fp8_block';
    const fp8: Dtype = blockWise ? 'fp8_block' : 'fp8';
    return { ...BF16_QUANT, gemm: fp8, moe: fp8, kvCache: 'fp8' };
  }
  return BF16_QUANT;
}

/** Resolve the formats of a deployment: base (by policy) < checkpoint < overrides. */
export function resolveQuant(
  model: ModelSpec,
  smVersion: number,
  overrides: Partial<QuantConfig> = {},
  policy: QuantPolicy = 'checkpoint',
): QuantConfig {
  const parsed = OverridesSchema.safeParse(overrides);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidConfigError(
      `quantisation override '${issue.path.join('.') || '(top level)'}': ${issue.message}; dtypes: ${DTYPES.join(', ')}`,
    );
  }
  const base = policy === 'fastest' ? smDefaultQuant(model, smVersion) : BF16_QUANT;
  const defined = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  return { ...base, ...(model.checkpointQuant ?? {}), ...defined };
}

/** Short label for tables: 'bf16', 'fp8', 'fp8_block', 'moe nvfp4 (gemm bf16)', with ', kv fp8'. */
export function describeQuant(model: ModelSpec, quant: QuantConfig): string {
  const short = (d: Dtype): string => (d === 'bfloat16' ? 'bf16' : d === 'float16' ? 'fp16' : d);
  let text = short(quant.gemm);
  if (model.moe && quant.moe !== quant.gemm) text = `moe ${short(quant.moe)}, gemm ${short(quant.gemm)}`;
  if (quant.kvCache !== 'bfloat16') text += `, kv ${short(quant.kvCache)}`;
  return text;
}
