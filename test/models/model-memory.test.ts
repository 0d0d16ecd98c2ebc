import { describe, expect, it } from 'vitest';
import {
  BF16_QUANT,
  countParams,
  kvBytesPerTokenPerGpu,
  loadModel,
  type ParallelConfig,
  resolveQuant,
  weightBytesPerGpu,
} from '../../src/models/index.js';

const BF16 = BF16_QUANT;
const one: ParallelConfig = { tp: 1, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1 };

describe('countParams', () => {
  it('matches the published sizes', () => {
    const llama = countParams(loadModel('meta-llama/Llama-3.1-8B'));
    expect(llama.totalParams / 1e9).toBeCloseTo(8.03, 2);
    expect(llama.activeParams).toBe(llama.totalParams);
    expect(llama.embeddingParams).toBe(2 * 128256 * 4096);
    expect(countParams(loadModel('Qwen/Qwen3-32B')).totalParams / 1e9).toBeCloseTo(32.76, 1);
    // Tied embeddings count once.
    expect(countParams(loadModel('Qwen/Qwen3-0.6B')).embeddingParams).toBe(151936 * 1024);
    const ds = countParams(loadModel('deepseek-ai/DeepSeek-V3'));
    expect(ds.totalParams / 1e9).toBeGreaterThan(665);
    expect(ds.totalParams / 1e9).toBeLessThan(675);
    expect(ds.activeParams / 1e9).toBeGreaterThan(36);
    expect(ds.activeParams / 1e9).toBeLessThan(39);
    const q235 = countParams(loadModel('Qwen/Qwen3-235B-A22B'));
    expect(q235.totalParams / 1e9).toBeCloseTo(235, 0);
    expect(q235.activeParams / 1e9).toBeCloseTo(22, 0);
    expect(countParams(loadModel('mistralai/Mixtral-8x7B-v0.1')).totalParams / 1e9).toBeCloseTo(46.7, 1);
    expect(countParams(loadModel('openai/gpt-oss-120b')).totalParams / 1e9).toBeCloseTo(116.8, 0);
  });
});

describe('weightBytesPerGpu', () => {
  it('is about 16 GB for Llama-3.1-8B in bf16 and halves with tp=2 (embeddings replicated)', () => {
    const llama = loadModel('meta-llama/Llama-3.1-8B');
    const whole = weightBytesPerGpu(llama, one, BF16);
    expect(whole / 1e9).toBeCloseTo(16.06, 1);
    const half = weightBytesPerGpu(llama, { ...one, tp: 2, moeTp: 2 }, BF16);
    const tables = 2 * 128256 * 4096 * 2;
    expect(half - tables).toBeCloseTo((whole - tables) / 2, -6);
    const sharded = weightBytesPerGpu(llama, { ...one, tp: 2, moeTp: 2 }, BF16, { vocabParallel: true });
    expect(sharded).toBeCloseTo(whole / 2, -6);
  });

  it('splits layers over pipeline stages (busiest stage)', () => {
    const llama = loadModel('meta-llama/Llama-3.1-70B');
    const whole = weightBytesPerGpu(llama, one, BF16);
    const quarter = weightBytesPerGpu(llama, { ...one, pp: 4 }, BF16);
    expect(quarter).toBeLessThan(whole / 4 + 2 * 128256 * 8192);
    expect(quarter).toBeGreaterThan(whole / 4 - 2 * 128256 * 8192);
  });

  it('splits experts over moeTp * moeEp and uses the checkpoint formats', () => {
    const ds = loadModel('deepseek-ai/DeepSeek-V3');
    const quant = resolveQuant(ds, 90);
    const tp1 = weightBytesPerGpu(ds, one, quant);
    expect(tp1 / 1e9).toBeGreaterThan(660);
    expect(tp1 / 1e9).toBeLessThan(690);
    const ep8 = weightBytesPerGpu(ds, { tp: 8, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 8 }, quant);
    expect(ep8 / 1e9).toBeGreaterThan(80);
    expect(ep8 / 1e9).toBeLessThan(95);
  });
});

describe('kvBytesPerTokenPerGpu', () => {
  it('counts kv heads per GPU for GQA and the latent for MLA', () => {
    const llama = loadModel('meta-llama/Llama-3.1-8B');
    expect(kvBytesPerTokenPerGpu(llama, one, BF16)).toBe(2 * 8 * 128 * 32 * 2);
    expect(kvBytesPerTokenPerGpu(llama, { ...one, tp: 4, moeTp: 4 }, BF16)).toBe(2 * 2 * 128 * 32 * 2);
    // tp beyond kv heads replicates: still one kv head per GPU.
    expect(kvBytesPerTokenPerGpu(llama, { ...one, tp: 16, moeTp: 16 }, BF16)).toBe(2 * 1 * 128 * 32 * 2);
    expect(kvBytesPerTokenPerGpu(llama, one, { ...BF16, kvCache: 'fp8' })).toBe(2 * 8 * 128 * 32);
    const ds = loadModel('deepseek-ai/DeepSeek-V3');
    expect(kvBytesPerTokenPerGpu(ds, { tp: 8, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 8 }, BF16)).toBe(
      576 * 61 * 2,
    );
    expect(kvBytesPerTokenPerGpu(llama, { ...one, pp: 3 }, BF16)).toBe(2 * 8 * 128 * 11 * 2);
  });
});

describe('kvBytesPerTokenPerGpu with sliding windows', () => {
  it('counts GPT-OSS sliding layers in full by default and by window share with seqLen', () => {
    const oss = loadModel('openai/gpt-oss-120b');
    const full = 2 * 8 * 64 * 36 * 2;
    expect(kvBytesPerTokenPerGpu(oss, one, BF16)).toBe(full);
    // 18 full layers + 18 sliding layers holding 128 of 1024 tokens.
    expect(kvBytesPerTokenPerGpu(oss, one, BF16, { seqLen: 1024 })).toBe(
      2 * 8 * 64 * 2 * (18 + 18 * (128 / 1024)),
    );
    expect(kvBytesPerTokenPerGpu(oss, one, BF16, { seqLen: 100 })).toBe(full);
  });
});

describe('weightBytesPerGpu with MTP layers', () => {
  it('adds DeepSeek-V3 MTP layer (about 11.5 B params in fp8) only when asked', () => {
    const ds = loadModel('deepseek-ai/DeepSeek-V3');
    const quant = resolveQuant(ds, 90);
    const extra = weightBytesPerGpu(ds, one, quant, { includeMtp: true }) - weightBytesPerGpu(ds, one, quant);
    expect(extra / 1e9).toBeGreaterThan(11);
    expect(extra / 1e9).toBeLessThan(12.5);
    expect(weightBytesPerGpu(loadModel('meta-llama/Llama-3.1-8B'), one, BF16, { includeMtp: true })).toBe(
      weightBytesPerGpu(loadModel('meta-llama/Llama-3.1-8B'), one, BF16),
    );
  });
});
