// GQA attention + routed experts: Qwen3-MoE (and the Qwen3-VL-MoE text model), Qwen2-MoE (one
// gated shared expert), Mixtral, MiniMax-M2 (per-layer q/k norm, MTP modules) and GPT-OSS
// (alternating 128-token sliding-window and full attention layers, MXFP4 experts).
import { z } from 'zod';
import { InvalidInputError } from '../../common/index.js';
import {
  type ArchitectureParser,
  CONFIG_INT,
  orUndefined,
  parseLayerTypes,
  readConfig,
} from './architecture-parser.js';
import { DenseConfigSchema, gqaFacts } from './dense-decoder.js';

const MoeConfigSchema = DenseConfigSchema.extend({
  num_experts: CONFIG_INT.experts.nullish(),
  num_local_experts: CONFIG_INT.experts.nullish(),
  num_experts_per_tok: CONFIG_INT.topk.nullish(),
  experts_per_token: CONFIG_INT.topk.nullish(),
  moe_intermediate_size: CONFIG_INT.ffn.nullish(),
  shared_expert_intermediate_size: CONFIG_INT.ffnOrZero.nullish(),
  mlp_only_layers: z.array(z.number().int()).nullish(),
  decoder_sparse_step: CONFIG_INT.layers.nullish(),
  layer_types: z.array(z.string()).nullish(),
  use_qk_norm: z.boolean().nullish(),
  qk_norm_type: z.string().nullish(),
  model_type: z.string().nullish(),
  use_mtp: z.boolean().nullish(),
  num_mtp_modules: CONFIG_INT.layerCount.nullish(),
  mtp_transformer_layers: CONFIG_INT.layerCount.nullish(),
});
type MoeConfig = z.output<typeof MoeConfigSchema>;

function required<T>(value: T | null | undefined, field: string, where: string): T {
  if (value === null || value === undefined) {
    throw new InvalidInputError(`${where}: field '${field}' is required for this architecture`);
  }
  return value;
}

function routedExperts(c: MoeConfig, where: string) {
  return {
    numExperts: required(
      orUndefined(c.num_experts) ?? orUndefined(c.num_local_experts),
      'num_experts',
      where,
    ),
    topk: required(
      orUndefined(c.num_experts_per_tok) ?? orUndefined(c.experts_per_token),
      'num_experts_per_tok',
      where,
    ),
    expertInterSize: orUndefined(c.moe_intermediate_size) ?? c.intermediate_size,
  };
}

function rejectMixedLayers(c: MoeConfig, where: string): void {
  // Dense layers interleaved among MoE layers are not modelled (no shipped Qwen MoE uses them).
  if ((c.mlp_only_layers?.length ?? 0) > 0 || (orUndefined(c.decoder_sparse_step) ?? 1) !== 1) {
    throw new InvalidInputError(
      `${where}: 'mlp_only_layers' / 'decoder_sparse_step' interleave dense and MoE layers, which is not supported`,
    );
  }
}

export const QWEN_MOE_PARSER: ArchitectureParser = {
  hfArchitectures: ['Qwen3MoeForCausalLM', 'Qwen3VLMoeForConditionalGeneration', 'Qwen2MoeForCausalLM'],
  parse(config, where) {
    const c = readConfig(MoeConfigSchema, config, where);
    rejectMixedLayers(c, where);
    const sharedInterSize = orUndefined(c.shared_expert_intermediate_size) ?? 0;
    return {
      architecture: 'moe',
      ...gqaFacts(c, where),
      interSize: c.intermediate_size,
      // Qwen3 MoE has per-head q/k RMSNorm; Qwen2-MoE does not (and has a shared expert).
      qkNorm: !(c.model_type ?? '').startsWith('qwen2'),
      moe: {
        ...routedExperts(c, where),
        numSharedExperts: sharedInterSize > 0 ? 1 : 0,
        sharedInterSize,
        firstDenseLayers: 0,
      },
      nextnLayers: 0,
    };
  },
};

export const MIXTRAL_PARSER: ArchitectureParser = {
  hfArchitectures: ['MixtralForCausalLM'],
  parse(config, where) {
    const c = readConfig(MoeConfigSchema, config, where);
    const size = orUndefined(c.sliding_window);
    return {
      architecture: 'moe',
      ...gqaFacts(c, where),
      interSize: c.intermediate_size,
      slidingWindow:
        size === undefined
          ? undefined
          : { size, layerTypes: Array.from({ length: c.num_hidden_layers }, () => 'sliding' as const) },
      moe: { ...routedExperts(c, where), numSharedExperts: 0, sharedInterSize: 0, firstDenseLayers: 0 },
      nextnLayers: 0,
    };
  },
};

export const MINIMAX_M2_PARSER: ArchitectureParser = {
  hfArchitectures: ['MiniMaxM2ForCausalLM'],
  parse(config, where) {
    const c = readConfig(MoeConfigSchema, config, where);
    const mtpModules = c.use_mtp
      ? (orUndefined(c.num_mtp_modules) ?? 0) * (orUndefined(c.mtp_transformer_layers) ?? 1)
      : 0;
    return {
      architecture: 'moe',
      ...gqaFacts(c, where),
      interSize: c.intermediate_size,
      qkNorm: c.use_qk_norm ?? false,
      ...(c.use_qk_norm && c.qk_norm_type === 'per_layer' ? { qkNormAcrossHeads: true } : {}),
      moe: { ...routedExperts(c, where), numSharedExperts: 0, sharedInterSize: 0, firstDenseLayers: 0 },
      nextnLayers: mtpModules,
    };
  },
};

export const GPT_OSS_PARSER: ArchitectureParser = {
  hfArchitectures: ['GptOssForCausalLM'],
  parse(config, where) {
    const c = readConfig(MoeConfigSchema, config, where);
    const size = required(orUndefined(c.sliding_window), 'sliding_window', where);
    const layerTypes = parseLayerTypes(required(c.layer_types, 'layer_types', where), where);
    return {
      architecture: 'moe',
      ...gqaFacts(c, where),
      interSize: c.intermediate_size,
      slidingWindow: { size, layerTypes },
      moe: { ...routedExperts(c, where), numSharedExperts: 0, sharedInterSize: 0, firstDenseLayers: 0 },
      nextnLayers: 0,
    };
  },
};
