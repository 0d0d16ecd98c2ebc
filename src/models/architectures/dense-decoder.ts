// Plain decoder-only transformers with GQA/MHA attention and a SwiGLU MLP: Llama, Mistral, Qwen2,
// Qwen3 (per-head q/k norm), MiMo (Qwen2 layout plus MTP layers), and the text model of Qwen3-VL.
import { z } from 'zod';
import { InvalidInputError } from '../../common/index.js';
import {
  type ArchitectureParser,
  CONFIG_INT,
  type ModelFacts,
  orUndefined,
  readConfig,
} from './architecture-parser.js';

export const DenseConfigSchema = z.looseObject({
  hidden_size: CONFIG_INT.hidden,
  num_hidden_layers: CONFIG_INT.layers,
  num_attention_heads: CONFIG_INT.heads,
  num_key_value_heads: CONFIG_INT.heads.nullish(),
  head_dim: CONFIG_INT.headDim.nullish(),
  intermediate_size: CONFIG_INT.ffn,
  vocab_size: CONFIG_INT.vocab,
  tie_word_embeddings: z.boolean().nullish(),
  max_position_embeddings: CONFIG_INT.tokens.nullish(),
  sliding_window: CONFIG_INT.tokens.nullish(),
  use_sliding_window: z.boolean().nullish(),
  num_nextn_predict_layers: CONFIG_INT.layerCount.nullish(),
});

/** Shared attention facts of GQA models (also used by the MoE parsers). */
export function gqaFacts(
  c: z.output<typeof DenseConfigSchema>,
  where: string,
): Pick<
  ModelFacts,
  | 'hiddenSize'
  | 'numLayers'
  | 'numHeads'
  | 'numKvHeads'
  | 'headDim'
  | 'vocabSize'
  | 'tieWordEmbeddings'
  | 'maxPositionEmbeddings'
> {
  const headDim = orUndefined(c.head_dim);
  // Without head_dim the head size is hidden / heads, which must then come out whole.
  if (headDim === undefined && c.hidden_size % c.num_attention_heads !== 0) {
    throw new InvalidInputError(
      `${where}: field 'num_attention_heads': ${c.num_attention_heads} does not divide hidden_size ${c.hidden_size}; fix it or set head_dim`,
    );
  }
  return {
    hiddenSize: c.hidden_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads: orUndefined(c.num_key_value_heads) ?? c.num_attention_heads,
    // head_dim may differ from hidden / heads (Qwen3-32B: 128 vs 80).
    headDim: headDim ?? c.hidden_size / c.num_attention_heads,
    vocabSize: c.vocab_size,
    tieWordEmbeddings: orUndefined(c.tie_word_embeddings) ?? false,
    ...(c.max_position_embeddings ? { maxPositionEmbeddings: c.max_position_embeddings } : {}),
  };
}

/**
 * Mistral-style sliding window on every layer when `sliding_window` is set and not switched off
 * (Qwen2/3 ship `sliding_window` with `use_sliding_window: false`, meaning full attention).
 */
function uniformSlidingWindow(c: z.output<typeof DenseConfigSchema>): ModelFacts['slidingWindow'] {
  const size = orUndefined(c.sliding_window);
  if (size === undefined || c.use_sliding_window === false) return undefined;
  if (size >= (orUndefined(c.max_position_embeddings) ?? Number.POSITIVE_INFINITY)) return undefined;
  return { size, layerTypes: Array.from({ length: c.num_hidden_layers }, () => 'sliding' as const) };
}

function makeDenseParser(hfArchitectures: readonly string[], qkNorm: boolean): ArchitectureParser {
  return {
    hfArchitectures,
    parse(config, where) {
      const c = readConfig(DenseConfigSchema, config, where);
      return {
        architecture: 'dense',
        ...gqaFacts(c, where),
        interSize: c.intermediate_size,
        qkNorm,
        slidingWindow: uniformSlidingWindow(c),
        nextnLayers: orUndefined(c.num_nextn_predict_layers) ?? 0,
      };
    },
  };
}

export const LLAMA_LIKE_PARSER = makeDenseParser(
  ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM', 'MiMoForCausalLM'],
  false,
);

export const QWEN3_PARSER = makeDenseParser(['Qwen3ForCausalLM', 'Qwen3VLForConditionalGeneration'], true);
