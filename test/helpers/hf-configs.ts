// Hugging Face config.json contents for tests that write a checkpoint folder or a config directory.

/** Llama-3.1-8B's config.json (the fields the models layer reads). */
export const LLAMA_3_1_8B_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 4096,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  intermediate_size: 14336,
  vocab_size: 128256,
  max_position_embeddings: 131072,
  head_dim: 128,
  torch_dtype: 'bfloat16',
} as const;
