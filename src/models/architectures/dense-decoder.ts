// Plain decoder-only transformers with GQA/MHA attention and a SwiGLU MLP: Llama, Mistral, Qwen2,
// Qwen3 (per-head q/k norm), MiMo (Qwen2 layout plus MTP layers), and the text model of Qwen3-VL.
import { z } from 'zod';
import { type ArchitectureParser, type ModelFacts, orUndefined, readConfig } from './architecture-parser.js';

const positiveInt = z.number().int().positive();

export const DenseConfigSchema = z.looseObject({
  hidden_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.nullish(),
  head_dim: positiveInt.nullish(),
  intermediate_size: positiveInt,
  vocab_size: positiveInt,
  tie_word_embeddings: z.boolean().nullish(),
  max_position_embeddings: positiveInt.nullish(),
  sliding_window: positiveInt.nullish(),
  use_sliding_window: z.boolean().nullish(),
  num_nextn_predict_layers: z.number().int().nonnegative().nullish(),
});

/** Shared attention facts of GQA models (also used by the MoE parsers). */
export function gqaFacts(
  c: z.output<typeof DenseConfigSchema>,
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
  return {
    hiddenSize: c.hidden_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads: orUndefined(c.num_key_value_heads) ?? c.num_attention_heads,
    // head_dim may differ from hidden / heads (Qwen3-32B: 128 vs 80).
    headDim: orUndefined(c.head_dim) ?? Math.floor(c.hidden_size / c.num_attention_heads),
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
        ...gqaFacts(c),
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
