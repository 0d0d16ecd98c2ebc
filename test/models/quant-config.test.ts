import { describe, expect, it } from 'vitest';
import {
  loadModel,
  parseHfQuantConfig,
  parseQuantizationConfig,
  resolveQuant,
  smDefaultQuant,
} from '../../src/models/index.js';

describe('resolveQuant', () => {
  it('runs a bf16 checkpoint in bf16 by default, on any GPU', () => {
    const llama = loadModel('meta-llama/Llama-3.1-8B');
    for (const sm of [80, 90, 100]) {
      expect(resolveQuant(llama, sm)).toEqual({
        gemm: 'bfloat16',
        kvCache: 'bfloat16',
        fmha: 'bfloat16',
        moe: 'bfloat16',
        comm: 'bfloat16',
      });
    }
  });

  it("takes the GPU's fastest formats under the 'fastest' policy", () => {
    const llama = loadModel('meta-llama/Llama-3.1-8B');
    expect(resolveQuant(llama, 100, {}, 'fastest')).toMatchObject({
      gemm: 'nvfp4',
      moe: 'nvfp4',
      kvCache: 'fp8',
    });
    expect(resolveQuant(llama, 90, {}, 'fastest')).toMatchObject({ gemm: 'fp8', kvCache: 'fp8' });
    expect(resolveQuant(llama, 80, {}, 'fastest').gemm).toBe('bfloat16');
    expect(smDefaultQuant(loadModel('deepseek-ai/DeepSeek-R1'), 90).gemm).toBe('fp8_block');
  });

  it('applies SM defaults < checkpoint < overrides', () => {
    const ds = loadModel('deepseek-ai/DeepSeek-V3');
    expect(resolveQuant(ds, 90)).toMatchObject({ gemm: 'fp8_block', moe: 'fp8_block', kvCache: 'bfloat16' });
    // The checkpoint's own formats beat the Blackwell nvfp4 default...
    expect(resolveQuant(ds, 100, {}, 'fastest')).toMatchObject({
      gemm: 'fp8_block',
      moe: 'fp8_block',
      kvCache: 'fp8',
    });
    // ...and explicit overrides beat both.
    expect(resolveQuant(ds, 90, { gemm: 'fp8', kvCache: 'fp8' })).toMatchObject({
      gemm: 'fp8',
      moe: 'fp8_block',
      kvCache: 'fp8',
    });
  });

  it('rejects an unknown dtype in overrides with the list of dtypes', () => {
    const llama = loadModel('meta-llama/Llama-3.1-8B');
    expect(() => resolveQuant(llama, 90, { gemm: 'fp7' as never })).toThrow(/gemm.*bfloat16, float16, fp8/);
  });

  it('reads the checkpoint formats of the catalog models', () => {
    expect(resolveQuant(loadModel('Qwen/Qwen3-32B-FP8'), 90).gemm).toBe('fp8_block');
    expect(resolveQuant(loadModel('nvidia/Llama-3.1-8B-Instruct-FP8'), 90)).toMatchObject({
      gemm: 'fp8',
      kvCache: 'fp8',
    });
    expect(resolveQuant(loadModel('openai/gpt-oss-120b'), 90)).toMatchObject({
      gemm: 'bfloat16',
      moe: 'mxfp4',
    });
    expect(resolveQuant(loadModel('moonshotai/Kimi-K2.5'), 90)).toMatchObject({
      gemm: 'bfloat16',
      moe: 'int4_wo',
    });
  });
});

describe('checkpoint quantisation parsing', () => {
  it('fp8 with weight blocks is fp8_block, without is fp8', () => {
    expect(parseQuantizationConfig({ quant_method: 'fp8', weight_block_size: [128, 128] })).toEqual({
      gemm: 'fp8_block',
      moe: 'fp8_block',
    });
    expect(parseQuantizationConfig({ quant_method: 'fp8' })).toEqual({ gemm: 'fp8', moe: 'fp8' });
    expect(parseQuantizationConfig(undefined)).toEqual({});
    expect(parseQuantizationConfig({ quant_method: 'bitsandbytes' })).toEqual({});
  });

  it('ModelOpt NVFP4 with excluded attention quantises only the experts, with fp8 kv', () => {
    expect(
      parseHfQuantConfig({
        producer: { name: 'modelopt' },
        quantization: {
          quant_algo: 'NVFP4',
          kv_cache_quant_algo: 'FP8',
          exclude_modules: ['lm_head', 'model.layers.0.self_attn*'],
        },
      }),
    ).toEqual({ moe: 'nvfp4', kvCache: 'fp8' });
    expect(parseHfQuantConfig({ quantization: { quant_algo: 'FP8', kv_cache_quant_algo: null } })).toEqual({
      gemm: 'fp8',
      moe: 'fp8',
    });
  });

  it('compressed-tensors int4 experts with ignored attention and dense MLP', () => {
    expect(
      parseQuantizationConfig({
        quant_method: 'compressed-tensors',
        config_groups: { g: { weights: { num_bits: 4, type: 'int', strategy: 'group' } } },
        ignore: ['lm_head', 're:.*self_attn.*', 're:.*shared_experts.*'],
      }),
    ).toEqual({ moe: 'int4_wo' });
  });
});
