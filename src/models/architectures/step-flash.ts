// StepFun Step-3.7-Flash: GQA attention with 3 sliding-window (512) layers per full one, three
// dense layers, then routed experts with one shared expert, and MTP layers. Only what the config
// states is modelled (router bias and scaling change no shapes).
import { z } from 'zod';
import {
  type ArchitectureParser,
  CONFIG_INT,
  orUndefined,
  parseLayerTypes,
  readConfig,
} from './architecture-parser.js';
import { DenseConfigSchema, gqaFacts } from './dense-decoder.js';

const StepConfigSchema = DenseConfigSchema.extend({
  sliding_window: CONFIG_INT.tokens,
  layer_types: z.array(z.string()),
  first_k_dense_replace: CONFIG_INT.layerCount.nullish(),
  num_experts: CONFIG_INT.experts,
  num_experts_per_tok: CONFIG_INT.topk,
  moe_intermediate_size: CONFIG_INT.ffn,
  share_expert_dim: CONFIG_INT.ffnOrZero.nullish(),
  n_shared_experts: CONFIG_INT.expertsOrZero.nullish(),
});

export const STEP_FLASH_PARSER: ArchitectureParser = {
  hfArchitectures: ['Step3p7FlashForCausalLM'],
  parse(config, where) {
    const c = readConfig(StepConfigSchema, config, where);
    const layerTypes = parseLayerTypes(c.layer_types, where);
    const sharedInterSize = orUndefined(c.share_expert_dim) ?? 0;
    const numShared = sharedInterSize > 0 ? (orUndefined(c.n_shared_experts) ?? 1) : 0;
    return {
      architecture: 'moe',
      ...gqaFacts(c, where),
      interSize: c.intermediate_size,
      slidingWindow: { size: c.sliding_window, layerTypes },
      moe: {
        numExperts: c.num_experts,
        topk: c.num_experts_per_tok,
        expertInterSize: c.moe_intermediate_size,
        numSharedExperts: numShared,
        sharedInterSize: numShared > 0 ? sharedInterSize : 0,
        firstDenseLayers: orUndefined(c.first_k_dense_replace) ?? 0,
        denseInterSize: c.intermediate_size,
      },
      nextnLayers: orUndefined(c.num_nextn_predict_layers) ?? 0,
    };
  },
};
