// DeepSeek-V3 / R1 and the models built on its layout (Kimi-K2, Kimi-K2.5's text model):
// multi-head latent attention, routed + shared experts, the first k layers dense, MTP layers.
import { z } from 'zod';
import { InvalidInputError } from '../../common/index.js';
import { type ArchitectureParser, CONFIG_INT, orUndefined, readConfig } from './architecture-parser.js';

const DeepseekConfigSchema = z.looseObject({
  hidden_size: CONFIG_INT.hidden,
  num_hidden_layers: CONFIG_INT.layers,
  num_attention_heads: CONFIG_INT.heads,
  intermediate_size: CONFIG_INT.ffn,
  moe_intermediate_size: CONFIG_INT.ffn,
  vocab_size: CONFIG_INT.vocab,
  tie_word_embeddings: z.boolean().nullish(),
  max_position_embeddings: CONFIG_INT.tokens.nullish(),
  n_routed_experts: CONFIG_INT.experts,
  num_experts_per_tok: CONFIG_INT.topk,
  n_shared_experts: CONFIG_INT.expertsOrZero.nullish(),
  first_k_dense_replace: CONFIG_INT.layerCount.nullish(),
  moe_layer_freq: CONFIG_INT.layers.nullish(),
  q_lora_rank: CONFIG_INT.rankOrZero.nullish(),
  kv_lora_rank: CONFIG_INT.rank,
  qk_rope_head_dim: CONFIG_INT.headDim,
  qk_nope_head_dim: CONFIG_INT.headDim,
  v_head_dim: CONFIG_INT.headDim,
  num_nextn_predict_layers: CONFIG_INT.layerCount.nullish(),
});

export const DEEPSEEK_V3_PARSER: ArchitectureParser = {
  hfArchitectures: ['DeepseekV3ForCausalLM', 'DeepseekV2ForCausalLM', 'KimiK25ForConditionalGeneration'],
  parse(config, where) {
    const c = readConfig(DeepseekConfigSchema, config, where);
    if ((orUndefined(c.moe_layer_freq) ?? 1) !== 1) {
      throw new InvalidInputError(`${where}: field 'moe_layer_freq' other than 1 is not supported`);
    }
    const numShared = orUndefined(c.n_shared_experts) ?? 0;
    return {
      architecture: 'deepseek',
      hiddenSize: c.hidden_size,
      numLayers: c.num_hidden_layers,
      numHeads: c.num_attention_heads,
      // MLA caches one shared latent per token; "kv heads" only matter to GQA maths, so equal heads.
      numKvHeads: c.num_attention_heads,
      headDim: c.qk_nope_head_dim + c.qk_rope_head_dim,
      interSize: c.intermediate_size,
      vocabSize: c.vocab_size,
      tieWordEmbeddings: orUndefined(c.tie_word_embeddings) ?? false,
      ...(c.max_position_embeddings ? { maxPositionEmbeddings: c.max_position_embeddings } : {}),
      moe: {
        numExperts: c.n_routed_experts,
        topk: c.num_experts_per_tok,
        expertInterSize: c.moe_intermediate_size,
        numSharedExperts: numShared,
        sharedInterSize: numShared > 0 ? c.moe_intermediate_size : 0,
        firstDenseLayers: orUndefined(c.first_k_dense_replace) ?? 0,
        denseInterSize: c.intermediate_size,
      },
      mla: {
        qLoraRank: orUndefined(c.q_lora_rank) ?? 0,
        kvLoraRank: c.kv_lora_rank,
        qkRopeHeadDim: c.qk_rope_head_dim,
        qkNopeHeadDim: c.qk_nope_head_dim,
        vHeadDim: c.v_head_dim,
      },
      nextnLayers: orUndefined(c.num_nextn_predict_layers) ?? 0,
    };
  },
};
