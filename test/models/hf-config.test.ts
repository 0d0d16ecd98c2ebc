import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidConfigError, InvalidInputError, UnknownNameError } from '../../src/common/index.js';
import { loadHfConfig, loadModel, resolveQuant } from '../../src/models/index.js';
import { LLAMA_3_1_8B_CONFIG } from '../helpers/hf-configs.js';

const root = mkdtempSync(join(tmpdir(), 'inferplan-hf-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function checkpoint(name: string, config: unknown, hfQuant?: unknown, rawText?: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), rawText ?? JSON.stringify(config));
  if (hfQuant !== undefined) writeFileSync(join(dir, 'hf_quant_config.json'), JSON.stringify(hfQuant));
  return dir;
}

const qwenVlMoe = {
  architectures: ['Qwen3VLMoeForConditionalGeneration'],
  model_type: 'qwen3_vl_moe',
  tie_word_embeddings: false,
  text_config: {
    hidden_size: 2048,
    num_hidden_layers: 48,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    head_dim: 128,
    intermediate_size: 6144,
    moe_intermediate_size: 768,
    num_experts: 128,
    num_experts_per_tok: 8,
    vocab_size: 151936,
    max_position_embeddings: 262144,
    quantization_config: { quant_method: 'fp8', weight_block_size: [128, 128] },
  },
  vision_config: { depth: 27, hidden_size: 1152 },
};

const tinyDeepseek = {
  architectures: ['DeepseekV3ForCausalLM'],
  hidden_size: 1024,
  num_hidden_layers: 6,
  num_attention_heads: 16,
  num_key_value_heads: 16,
  intermediate_size: 4096,
  moe_intermediate_size: 256,
  vocab_size: 32000,
  n_routed_experts: 32,
  num_experts_per_tok: 4,
  n_shared_experts: 2,
  first_k_dense_replace: 1,
  q_lora_rank: null,
  kv_lora_rank: 256,
  qk_rope_head_dim: 32,
  qk_nope_head_dim: 64,
  v_head_dim: 64,
  num_nextn_predict_layers: 1,
};

describe('loading a config.json', () => {
  it('reads a VL wrapper: nested text_config, top-level tie flag, quantization_config', () => {
    const spec = loadModel(checkpoint('qwen-vl-moe', qwenVlMoe));
    expect(spec).toMatchObject({
      id: 'qwen-vl-moe',
      architecture: 'moe',
      hfArchitecture: 'Qwen3VLMoeForConditionalGeneration',
      hiddenSize: 2048,
      numLayers: 48,
      numKvHeads: 4,
      headDim: 128,
      tieWordEmbeddings: false,
      qkNorm: true,
      moe: { numExperts: 128, topk: 8, expertInterSize: 768, numSharedExperts: 0, firstDenseLayers: 0 },
      checkpointQuant: { gemm: 'fp8_block', moe: 'fp8_block' },
    });
  });

  it('lets a sibling hf_quant_config.json override the config (and accepts a file path)', () => {
    const dir = checkpoint('qwen-vl-moe-nvfp4', qwenVlMoe, {
      producer: { name: 'modelopt' },
      quantization: { quant_algo: 'NVFP4', kv_cache_quant_algo: 'FP8', exclude_modules: ['lm_head'] },
    });
    const spec = loadHfConfig(join(dir, 'config.json'), 'my/model');
    expect(spec.id).toBe('my/model');
    expect(resolveQuant(spec, 100)).toMatchObject({ gemm: 'nvfp4', moe: 'nvfp4', kvCache: 'fp8' });
  });

  it('reads a DeepSeek-style config with MLA, shared expert, dense first layers and MTP', () => {
    const spec = loadModel(checkpoint('tiny-deepseek', tinyDeepseek));
    expect(spec).toMatchObject({
      architecture: 'deepseek',
      mla: { qLoraRank: 0, kvLoraRank: 256, qkRopeHeadDim: 32, qkNopeHeadDim: 64, vHeadDim: 64 },
      moe: { numSharedExperts: 2, sharedInterSize: 256, firstDenseLayers: 1, denseInterSize: 4096 },
      nextnLayers: 1,
    });
  });

  it('tolerates Python-style Infinity in float fields', () => {
    const text = JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      hidden_size: 512,
      num_hidden_layers: 2,
      num_attention_heads: 8,
      num_key_value_heads: 2,
      intermediate_size: 1024,
      vocab_size: 1000,
      rope_scaling: { high: 0 },
    }).replace('"high":0', '"high": Infinity');
    expect(loadModel(checkpoint('infinity', null, undefined, text)).headDim).toBe(64);
  });

  it('names the supported architectures for an unknown one', () => {
    const dir = checkpoint('unknown-arch', { architectures: ['FooForCausalLM'], hidden_size: 1 });
    expect(() => loadModel(dir)).toThrow(UnknownNameError);
    expect(() => loadModel(dir)).toThrow(/unknown architecture 'FooForCausalLM'; known: .*LlamaForCausalLM/);
  });

  it('says why a known architecture is not supported', () => {
    const dir = checkpoint('qwen35', { architectures: ['Qwen3_5MoeForConditionalGeneration'] });
    expect(() => loadModel(dir)).toThrow(InvalidConfigError);
    expect(() => loadModel(dir)).toThrow(/not supported: hybrid attention.*linear attention/);
  });

  it('names the file and the field that is missing or malformed', () => {
    const dir = checkpoint('no-hidden', { architectures: ['LlamaForCausalLM'], num_hidden_layers: 2 });
    expect(() => loadModel(dir)).toThrow(InvalidInputError);
    expect(() => loadModel(dir)).toThrow(/no-hidden\/config\.json: field 'hidden_size'/);
    const bad = checkpoint('bad-json', null, undefined, '{ not json');
    expect(() => loadModel(bad)).toThrow(/bad-json\/config\.json: not valid JSON/);
    const noArch = checkpoint('no-arch', { hidden_size: 8 });
    expect(() => loadModel(noArch)).toThrow(/field 'architectures' is missing/);
  });
});

describe('config.json errors name the file and say what is wrong', () => {
  const qwenMoe = { ...qwenVlMoe.text_config, architectures: ['Qwen3MoeForCausalLM'] };
  const gptOss = {
    architectures: ['GptOssForCausalLM'],
    hidden_size: 512,
    num_hidden_layers: 2,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    head_dim: 64,
    intermediate_size: 256,
    vocab_size: 1000,
    num_local_experts: 4,
    experts_per_token: 2,
    sliding_window: 128,
    layer_types: ['sliding_attention', 'full_attention'],
  };
  const fails = (name: string, config: unknown, message: RegExp) => {
    const dir = checkpoint(name, config);
    expect(() => loadModel(dir)).toThrow(InvalidInputError);
    expect(() => loadModel(dir)).toThrow(message);
  };

  it('rejects MoE configs the architecture cannot model', () => {
    expect(loadModel(checkpoint('gpt-oss-ok', gptOss)).slidingWindow).toEqual({
      size: 128,
      layerTypes: ['sliding', 'full'],
    });
    const { num_experts: _experts, ...noExperts } = qwenMoe;
    fails(
      'moe-no-experts',
      noExperts,
      /config\.json: field 'num_experts' is required for this architecture$/,
    );
    fails(
      'moe-interleaved',
      { ...qwenMoe, mlp_only_layers: [0, 2] },
      /config\.json: 'mlp_only_layers' \/ 'decoder_sparse_step' interleave dense and MoE layers, which is not supported$/,
    );
    fails(
      'gpt-oss-chunked',
      { ...gptOss, layer_types: ['sliding_attention', 'chunked_attention'] },
      /config\.json: field 'layer_types\.1' is 'chunked_attention'; expected sliding_attention or full_attention$/,
    );
    fails(
      'deepseek-freq',
      { ...tinyDeepseek, moe_layer_freq: 2 },
      /config\.json: field 'moe_layer_freq' other than 1 is not supported$/,
    );
  });

  it('rejects absurd dimensions with the field and the accepted range', () => {
    // Without head_dim, so hidden / heads is the head size the heads must divide.
    const { head_dim: _headDim, ...llama } = LLAMA_3_1_8B_CONFIG;
    // 1e12 is an integer, so only an upper bound catches it (it planned as '1999689000 B total').
    fails(
      'huge-hidden',
      { ...llama, hidden_size: 1e12 },
      /huge-hidden\/config\.json: field 'hidden_size': expected an integer from 1 to 65536, got 1000000000000$/,
    );
    fails(
      'deep',
      { ...llama, num_hidden_layers: 1001 },
      /field 'num_hidden_layers': expected an integer from 1 to 1000, got 1001$/,
    );
    fails('negative', { ...llama, num_hidden_layers: -3 }, /field 'num_hidden_layers': .* got -3$/);
    fails('zero-heads', { ...llama, num_attention_heads: 0 }, /field 'num_attention_heads': .* got 0$/);
    fails(
      'fraction',
      { ...llama, intermediate_size: 14336.5 },
      /field 'intermediate_size': .* got 14336\.5$/,
    );
    fails(
      'quoted',
      { ...llama, hidden_size: '4096' },
      /field 'hidden_size': expected an integer from 1 to 65536, got "4096"$/,
    );
    fails(
      'big-vocab',
      { ...llama, vocab_size: 2e7 },
      /field 'vocab_size': expected an integer from 1 to 10000000, got 20000000$/,
    );
    fails(
      'deepseek-huge-rank',
      { ...tinyDeepseek, kv_lora_rank: 1e9 },
      /field 'kv_lora_rank': expected an integer from 1 to 65536/,
    );
    // hidden / heads is the head size only when head_dim is absent; then it must divide.
    fails(
      'uneven-heads',
      { ...llama, num_attention_heads: 48, num_key_value_heads: 8 },
      /uneven-heads\/config\.json: field 'num_attention_heads': 48 does not divide hidden_size 4096; fix it or set head_dim$/,
    );
    expect(
      loadModel(checkpoint('head-dim-set', { ...llama, num_attention_heads: 48, head_dim: 128 })).headDim,
    ).toBe(128);
    fails(
      'topk-over-experts',
      { ...qwenMoe, num_experts: 4, num_experts_per_tok: 8 },
      /topk-over-experts\/config\.json: the experts per token \(num_experts_per_tok \/ experts_per_token\): 8 exceeds the 4 experts$/,
    );
    // The bounds sit far above real checkpoints: Llama-3.1-405B's dimensions still load.
    const big = loadModel(
      checkpoint('llama-405b-shape', {
        ...llama,
        hidden_size: 16384,
        num_hidden_layers: 126,
        num_attention_heads: 128,
        intermediate_size: 53248,
        max_position_embeddings: 131072,
      }),
    );
    expect(big.hiddenSize).toBe(16384);
  });

  it('checks the derived spec and names the config key behind the field', () => {
    fails(
      'deepseek-too-dense',
      { ...tinyDeepseek, first_k_dense_replace: 7 },
      /deepseek-too-dense\/config\.json: first_k_dense_replace: 7 exceeds the 6 layers$/,
    );
    fails(
      'gpt-oss-short-types',
      { ...gptOss, layer_types: ['full_attention'] },
      /gpt-oss-short-types\/config\.json: layer_types: has 1 entries but the model has 2 layers$/,
    );
    fails(
      'kv-heads-uneven',
      { ...LLAMA_3_1_8B_CONFIG, num_key_value_heads: 5 },
      /kv-heads-uneven\/config\.json: num_key_value_heads: 5 does not divide 32 heads$/,
    );
  });

  it('says when the file is missing, unreadable or not an object', () => {
    const empty = join(root, 'empty-dir');
    mkdirSync(empty, { recursive: true });
    expect(() => loadHfConfig(empty)).toThrow(InvalidInputError);
    expect(() => loadHfConfig(empty)).toThrow(
      /empty-dir: no config\.json in this directory; pass a catalog id/,
    );
    expect(() => loadHfConfig(join(root, 'missing.json'))).toThrow(
      /missing\.json: file does not exist; pass a catalog id/,
    );
    const unreadable = join(root, 'dir-config');
    mkdirSync(join(unreadable, 'config.json'), { recursive: true });
    expect(() => loadHfConfig(unreadable)).toThrow(/dir-config\/config\.json: cannot read \(EISDIR\)$/);
    fails('array-config', [1, 2], /array-config\/config\.json: expected a JSON object$/);
  });
});
