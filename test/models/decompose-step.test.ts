import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BF16_QUANT,
  countParams,
  decomposeStep,
  listModels,
  loadModel,
  type ModelOp,
  type ParallelConfig,
  type QuantConfig,
  resolveQuant,
  type StepShape,
} from '../../src/models/index.js';
import type { CommQuery, GemmQuery, OpQuery } from '../../src/perfdb/index.js';

const BF16 = BF16_QUANT;

function par(tp: number, extra: Partial<ParallelConfig> = {}): ParallelConfig {
  return { tp, pp: 1, attentionDp: 1, moeTp: tp, moeEp: 1, ...extra };
}

function step(extra: Partial<StepShape>): StepShape {
  return {
    ctxRequests: 0,
    ctxTokens: 0,
    ctxPrefix: 0,
    genRequests: 0,
    genKvLen: 0,
    genTokensPerRequest: 1,
    ...extra,
  };
}

function op(ops: ModelOp[], name: string): ModelOp {
  const found = ops.find((o) => o.name === name);
  if (!found) throw new Error(`no op ${name} in ${ops.map((o) => o.name).join(', ')}`);
  return found;
}

function gemm(ops: ModelOp[], name: string): GemmQuery & { count: number } {
  const o = op(ops, name);
  expect(o.query.kind).toBe('gemm');
  return { ...(o.query as GemmQuery), count: o.count };
}

function names(ops: ModelOp[]): string[] {
  return ops.map((o) => o.name);
}

function ofKind<K extends OpQuery['kind']>(ops: ModelOp[], kind: K): ModelOp[] {
  return ops.filter((o) => o.query.kind === kind);
}

describe('decomposeStep: dense (Llama-3.1-8B)', () => {
  const llama = loadModel('meta-llama/Llama-3.1-8B-Instruct');
  const prefill = step({ ctxRequests: 2, ctxTokens: 1000 });

  it('has the GEMM shapes of one GPU at TP1', () => {
    const ops = decomposeStep(llama, par(1), BF16, prefill);
    expect(gemm(ops, 'qkv_proj')).toMatchObject({ m: 2000, n: (32 + 2 * 8) * 128, k: 4096, count: 32 });
    expect(gemm(ops, 'o_proj')).toMatchObject({ m: 2000, n: 4096, k: 4096, count: 32 });
    expect(gemm(ops, 'gate_up_proj')).toMatchObject({ m: 2000, n: 2 * 14336, k: 4096, count: 32 });
    expect(gemm(ops, 'down_proj')).toMatchObject({ m: 2000, n: 4096, k: 14336, count: 32 });
    // lm head on the last token of each prefill request, full vocabulary.
    expect(gemm(ops, 'lm_head')).toMatchObject({ m: 2, n: 128256, k: 4096, count: 1, dtype: 'bfloat16' });
    expect(ofKind(ops, 'comm')).toHaveLength(0);
  });

  it('divides heads and MLP by tp at TP4 and adds two all-reduces per layer', () => {
    const ops = decomposeStep(llama, par(4), BF16, prefill);
    expect(gemm(ops, 'qkv_proj')).toMatchObject({ n: 1536, k: 4096 });
    expect(gemm(ops, 'o_proj')).toMatchObject({ n: 4096, k: 1024 });
    expect(gemm(ops, 'gate_up_proj')).toMatchObject({ n: 7168, k: 4096 });
    expect(gemm(ops, 'down_proj')).toMatchObject({ n: 4096, k: 3584 });
    const ar = ofKind(ops, 'comm');
    expect(ar.map((o) => o.count)).toEqual([32, 32]);
    for (const o of ar)
      expect(o.query).toMatchObject({ op: 'all_reduce', numGpus: 4, messageElements: 2000 * 4096 });
    expect(op(ops, 'context_attention').query).toMatchObject({
      batchSize: 2,
      isl: 1000,
      prefix: 0,
      numHeads: 8,
      numKvHeads: 2,
      headDim: 128,
      windowSize: 0,
    });
  });

  it('replicates kv heads when tp exceeds them (at least one per GPU)', () => {
    const ops = decomposeStep(llama, par(16, { moeTp: 1 }), BF16, prefill);
    expect(op(ops, 'context_attention').query).toMatchObject({ numHeads: 2, numKvHeads: 1 });
    expect(gemm(ops, 'qkv_proj').n).toBe((2 + 2) * 128);
  });

  it('documents each elementwise width', () => {
    const ops = decomposeStep(llama, par(4), BF16, prefill);
    expect(op(ops, 'input_norm').query).toMatchObject({ op: 'rms_norm', width: 4096, numTokens: 2000 });
    expect(op(ops, 'input_norm').count).toBe(32);
    expect(op(ops, 'post_attn_norm').count).toBe(32);
    expect(op(ops, 'final_norm').count).toBe(1);
    expect(op(ops, 'residual_add')).toMatchObject({ count: 64 });
    expect(op(ops, 'silu_mul').query).toMatchObject({ width: 14336 / 4 });
    expect(op(ops, 'rope').query).toMatchObject({ width: (8 + 2) * 128 });
    expect(op(ops, 'kv_write').query).toMatchObject({ width: 2 * 2 * 128 });
    expect(op(ops, 'embedding')).toMatchObject({ count: 1 });
  });

  it('mixes prefill chunks and decodes: GEMMs over all tokens, attention per phase', () => {
    const ops = decomposeStep(
      llama,
      par(1),
      BF16,
      step({ ctxRequests: 1, ctxTokens: 512, ctxPrefix: 1024, genRequests: 30, genKvLen: 3000 }),
    );
    expect(gemm(ops, 'qkv_proj').m).toBe(512 + 30);
    expect(gemm(ops, 'lm_head').m).toBe(1 + 30);
    expect(op(ops, 'context_attention').query).toMatchObject({ batchSize: 1, isl: 512, prefix: 1024 });
    expect(op(ops, 'generation_attention').query).toMatchObject({ batchSize: 30, kvLen: 3000 });
  });

  it('skips what has no tokens and returns nothing for an empty step', () => {
    const decode = decomposeStep(llama, par(1), BF16, step({ genRequests: 4, genKvLen: 100 }));
    expect(names(decode)).not.toContain('context_attention');
    expect(decomposeStep(llama, par(1), BF16, step({}))).toEqual([]);
  });

  it('adds pp-1 pipeline transfers and shards the lm head when asked', () => {
    const ops = decomposeStep(llama, par(2, { pp: 4 }), BF16, prefill, { lmHead: 'vocab-parallel' });
    expect(op(ops, 'pipeline_p2p')).toMatchObject({ count: 3 });
    expect(op(ops, 'pipeline_p2p').query).toMatchObject({ op: 'p2p', messageElements: 2000 * 4096 });
    expect(gemm(ops, 'lm_head').n).toBe(128256 / 2);
    // On 8-GPU nodes, tp 2 x pp 4 fills one node: no hop leaves it. tp 4 x pp 4 spans two nodes
    // and its middle hop crosses, over a link spanning both nodes.
    const oneNode = decomposeStep(llama, par(2, { pp: 4 }), BF16, prefill, { gpusPerLinkDomain: 8 });
    expect(op(oneNode, 'pipeline_p2p')).toMatchObject({ count: 3 });
    expect(names(oneNode)).not.toContain('pipeline_p2p_cross_node');
    const twoNodes = decomposeStep(llama, par(4, { pp: 4 }), BF16, prefill, { gpusPerLinkDomain: 8 });
    expect(op(twoNodes, 'pipeline_p2p')).toMatchObject({ count: 2 });
    expect(op(twoNodes, 'pipeline_p2p_cross_node')).toMatchObject({ count: 1 });
    expect(op(twoNodes, 'pipeline_p2p_cross_node').query).toMatchObject({ op: 'p2p', numGpus: 16 });
    expect(op(ops, 'lm_head_all_gather').query).toMatchObject({ op: 'all_gather', numGpus: 2 });
  });

  it('uses the quantisation per component', () => {
    const quant: QuantConfig = {
      gemm: 'fp8',
      kvCache: 'fp8',
      fmha: 'bfloat16',
      moe: 'fp8',
      comm: 'bfloat16',
    };
    const ops = decomposeStep(llama, par(2), quant, prefill);
    expect(gemm(ops, 'qkv_proj').dtype).toBe('fp8');
    expect(gemm(ops, 'lm_head').dtype).toBe('bfloat16');
    expect(op(ops, 'kv_write').query).toMatchObject({ dtype: 'fp8' });
    expect(op(ops, 'context_attention').query).toMatchObject({ attnDtype: 'bfloat16', kvCacheDtype: 'fp8' });
  });

  it('adds per-head q/k norms for Qwen3 and uses head_dim, not hidden/heads', () => {
    const qwen = loadModel('Qwen/Qwen3-32B');
    const ops = decomposeStep(qwen, par(8), BF16, prefill);
    expect(gemm(ops, 'qkv_proj')).toMatchObject({ n: (8 + 2) * 128, k: 5120 });
    expect(gemm(ops, 'o_proj')).toMatchObject({ n: 5120, k: 8 * 128 });
    expect(op(ops, 'qk_norm').query).toMatchObject({ width: (8 + 1) * 128 });
  });
});

describe('decomposeStep: MoE (Qwen3-30B-A3B)', () => {
  const qwen = loadModel('qwen/qwen3-30b-a3b');
  const decode = step({ genRequests: 64, genKvLen: 2048 });

  it('replaces the MLP by a router GEMM and the MoE op with TP attention', () => {
    const ops = decomposeStep(qwen, par(4, { moeTp: 1, moeEp: 4 }), BF16, decode);
    expect(gemm(ops, 'router')).toMatchObject({ m: 64, n: 128, k: 2048, count: 48 });
    expect(op(ops, 'moe').query).toMatchObject({
      numTokens: 64,
      hiddenSize: 2048,
      interSize: 768,
      topk: 8,
      numExperts: 128,
      moeTp: 1,
      moeEp: 4,
      distribution: 'random',
    });
    expect(op(ops, 'moe').count).toBe(48);
    expect(names(ops)).not.toContain('gate_up_proj');
    expect(op(ops, 'moe_all_reduce').query).toMatchObject({
      op: 'all_reduce',
      numGpus: 4,
      messageElements: 64 * 2048,
    });
    // The lm head is present in MoE steps too (context as well as decode).
    expect(
      gemm(decomposeStep(qwen, par(1), BF16, step({ ctxRequests: 1, ctxTokens: 100 })), 'lm_head').m,
    ).toBe(1);
  });

  it('with attention DP gathers tokens before the experts and scatters after', () => {
    const ops = decomposeStep(qwen, par(1, { attentionDp: 8, moeTp: 1, moeEp: 8 }), BF16, decode, {
      moeDistribution: 'power_law_1.2',
    });
    expect(op(ops, 'moe').query).toMatchObject({
      numTokens: 64 * 8,
      moeEp: 8,
      distribution: 'power_law_1.2',
    });
    const comms = ofKind(ops, 'comm').map((o) => o.query as CommQuery);
    expect(comms.map((c) => c.op)).toEqual(['all_gather', 'reduce_scatter']);
    for (const c of comms) expect(c).toMatchObject({ numGpus: 8, messageElements: 64 * 8 * 2048 });
    // Attention stays on the rank's own tokens, unsplit when tp=1.
    expect(gemm(ops, 'qkv_proj')).toMatchObject({ m: 64, n: (32 + 2 * 4) * 128 });
  });

  it('gathers at any EP width by default and uses all-to-all when asked (DeepEP-style)', () => {
    const wide = par(1, { attentionDp: 16, moeTp: 1, moeEp: 16 });
    expect(ofKind(decomposeStep(qwen, wide, BF16, decode), 'comm').map((o) => o.name)).toEqual([
      'moe_all_gather',
      'moe_reduce_scatter',
    ]);
    const ops = decomposeStep(qwen, wide, BF16, decode, { moeDispatch: 'alltoall' });
    expect(op(ops, 'moe_dispatch').query).toMatchObject({
      op: 'alltoall',
      numGpus: 16,
      messageElements: 64 * 8 * 2048,
    });
    expect(op(ops, 'moe_combine').count).toBe(48);
  });
});

describe('decomposeStep: DeepSeek-V3 (MLA + MoE)', () => {
  const ds = loadModel('deepseek-ai/DeepSeek-V3');
  const quant = resolveQuant(ds, 90);

  it('prefill: fused down-projection, q_b, kv_b, context MLA and o_proj', () => {
    const ops = decomposeStep(
      ds,
      par(8, { moeTp: 1, moeEp: 8 }),
      quant,
      step({ ctxRequests: 2, ctxTokens: 4096 }),
    );
    const x = 2 * 4096;
    expect(gemm(ops, 'qkv_a_proj')).toMatchObject({ m: x, n: 1536 + 512 + 64, k: 7168, count: 61 });
    expect(gemm(ops, 'q_b_proj')).toMatchObject({ n: 16 * 192, k: 1536 });
    expect(gemm(ops, 'kv_b_proj')).toMatchObject({ m: x, n: 16 * 256, k: 512 });
    expect(op(ops, 'context_mla').query).toMatchObject({ batchSize: 2, isl: 4096, numHeads: 16 });
    expect(gemm(ops, 'o_proj')).toMatchObject({ n: 7168, k: 16 * 128 });
    expect(names(ops)).not.toContain('generation_mla');
    expect(names(ops)).not.toContain('kv_b_proj_prefix');
  });

  it('decode: bmm pre, generation MLA, bmm post and the right o_proj shape', () => {
    const ops = decomposeStep(
      ds,
      par(8, { moeTp: 1, moeEp: 8 }),
      quant,
      step({ genRequests: 32, genKvLen: 2000 }),
    );
    expect(op(ops, 'mla_bmm_pre').query).toMatchObject({
      phase: 'pre',
      numTokens: 32,
      numHeads: 16,
      dtype: 'fp8',
    });
    expect(op(ops, 'generation_mla').query).toMatchObject({ batchSize: 32, kvLen: 2000, numHeads: 16 });
    expect(op(ops, 'mla_bmm_post').query).toMatchObject({ phase: 'post' });
    expect(gemm(ops, 'o_proj')).toMatchObject({ m: 32, n: 7168, k: 16 * 128 });
    expect(names(ops)).not.toContain('kv_b_proj');
  });

  it('models the first 3 dense layers, 58 MoE layers and the shared expert', () => {
    const ops = decomposeStep(
      ds,
      par(8, { moeTp: 1, moeEp: 8 }),
      quant,
      step({ genRequests: 32, genKvLen: 2000 }),
    );
    expect(gemm(ops, 'dense_gate_up_proj')).toMatchObject({ n: (2 * 18432) / 8, k: 7168, count: 3 });
    expect(gemm(ops, 'dense_down_proj')).toMatchObject({ n: 7168, k: 18432 / 8, count: 3 });
    expect(op(ops, 'moe')).toMatchObject({ count: 58 });
    expect(op(ops, 'moe').query).toMatchObject({
      numExperts: 256,
      topk: 8,
      interSize: 2048,
      dtype: 'fp8_block',
    });
    expect(gemm(ops, 'shared_gate_up_proj')).toMatchObject({ n: (2 * 2048) / 8, count: 58 });
    expect(gemm(ops, 'router')).toMatchObject({ n: 256, count: 58, dtype: 'bfloat16' });
    expect(op(ops, 'attn_all_reduce').count).toBe(61);
  });

  it('folds the shared expert into the MoE kernel when asked (SGLang), but not under expert parallelism', () => {
    const decode = step({ genRequests: 32, genKvLen: 2000 });
    const fused = decomposeStep(ds, par(8), quant, decode, { fuseSharedExpert: true });
    expect(names(fused).filter((n) => n.startsWith('shared_'))).toEqual([]);
    // One more pick per token: the routed kernel over T(k+1)/k tokens, T(k+1) token-expert pairs.
    expect(op(fused, 'moe').query).toMatchObject({ numTokens: (32 * 9) / 8, topk: 8, numExperts: 256 });
    expect(op(fused, 'moe_all_reduce').count).toBe(58);

    const withEp = decomposeStep(ds, par(8, { moeTp: 1, moeEp: 8 }), quant, decode, {
      fuseSharedExpert: true,
    });
    expect(gemm(withEp, 'shared_gate_up_proj')).toMatchObject({ count: 58 });
    expect(op(withEp, 'moe').query).toMatchObject({ numTokens: 32 });

    // Kimi-K2's 384 routed experts are outside SGLang's allow-list: its shared expert stays apart.
    const kimi = loadModel('moonshotai/Kimi-K2-Instruct');
    const kimiOps = decomposeStep(kimi, par(8), resolveQuant(kimi, 90), decode, { fuseSharedExpert: true });
    expect(names(kimiOps)).toContain('shared_gate_up_proj');
  });

  it('re-expands a cached prefix in chunked prefill', () => {
    const ops = decomposeStep(
      ds,
      par(8, { moeTp: 1, moeEp: 8 }),
      quant,
      step({ ctxRequests: 1, ctxTokens: 2048, ctxPrefix: 6144 }),
    );
    expect(gemm(ops, 'kv_b_proj_prefix').m).toBe(6144);
    expect(op(ops, 'context_mla').query).toMatchObject({ prefix: 6144 });
  });

  it('adds the MTP layer only with speculative decoding', () => {
    const plain = decomposeStep(
      ds,
      par(8, { moeTp: 1, moeEp: 8 }),
      quant,
      step({ genRequests: 32, genKvLen: 2000 }),
    );
    const mtp = decomposeStep(
      ds,
      par(8, { moeTp: 1, moeEp: 8 }),
      quant,
      step({ genRequests: 32, genKvLen: 2000, genTokensPerRequest: 2 }),
    );
    expect(names(plain)).not.toContain('mtp_eh_proj');
    expect(op(mtp, 'moe').count).toBe(59);
    expect(op(mtp, 'generation_mla').count).toBe(62);
    expect(op(mtp, 'generation_mla').query).toMatchObject({ batchSize: 64 });
    expect(gemm(mtp, 'mtp_eh_proj')).toMatchObject({ m: 64, n: 7168, k: 2 * 7168, count: 1 });
    expect(gemm(mtp, 'lm_head')).toMatchObject({ m: 64, count: 2 });
  });
});

describe('decomposeStep: GPT-OSS sliding-window layers', () => {
  it('prices 18 sliding (window 128) and 18 full attention layers separately', () => {
    const oss = loadModel('openai/gpt-oss-120b');
    const ops = decomposeStep(
      oss,
      par(2, { moeTp: 1, moeEp: 2 }),
      resolveQuant(oss, 90),
      step({ ctxRequests: 1, ctxTokens: 4096, genRequests: 8, genKvLen: 1000 }),
    );
    expect(op(ops, 'context_attention')).toMatchObject({ count: 18 });
    expect(op(ops, 'context_attention').query).toMatchObject({
      windowSize: 0,
      numHeads: 32,
      numKvHeads: 4,
      headDim: 64,
    });
    expect(op(ops, 'context_attention_swa')).toMatchObject({ count: 18 });
    expect(op(ops, 'context_attention_swa').query).toMatchObject({ windowSize: 128 });
    expect(op(ops, 'generation_attention_swa').query).toMatchObject({ windowSize: 128, kvLen: 1000 });
    expect(op(ops, 'moe').query).toMatchObject({ dtype: 'mxfp4', numExperts: 128, topk: 4, interSize: 2880 });
    expect(gemm(ops, 'qkv_proj').dtype).toBe('bfloat16');
  });
});

describe('decomposeStep: input checks', () => {
  it('rejects a bad parallel layout or step shape with one line', () => {
    const llama = loadModel('meta-llama/Llama-3.1-8B');
    expect(() => decomposeStep(llama, par(3), BF16, step({ genRequests: 1, genKvLen: 1 }))).toThrow(/tp=3/);
    expect(() => decomposeStep(llama, par(1), BF16, step({ genRequests: -1 }))).toThrow(/genRequests/);
  });
});

describe('decomposeStep agrees with countParams', () => {
  it('touches every active weight once per token (one prefill token, TP1)', () => {
    for (const model of listModels()) {
      const ops = decomposeStep(
        model,
        { tp: 1, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1 },
        BF16,
        step({ ctxRequests: 1, ctxTokens: 1 }),
      );
      let weights = 0;
      for (const o of ops) {
        if (o.query.kind === 'gemm') weights += o.count * o.query.n * o.query.k;
        if (o.query.kind === 'moe')
          weights += o.count * o.query.topk * 3 * o.query.hiddenSize * o.query.interSize;
      }
      const h = model.hiddenSize;
      const perLayerNorms = 2 * h + (model.qkNorm ? 2 * model.headDim : 0);
      const mlaNorms = model.mla ? model.mla.qLoraRank + model.mla.kvLoraRank : 0;
      const norms = model.numLayers * (perLayerNorms + mlaNorms) + h;
      // The input embedding is a lookup, not a GEMM (a tied lm head reuses it).
      const lookup = model.tieWordEmbeddings ? 0 : model.vocabSize * h;
      expect({ id: model.id, weights }).toEqual({
        id: model.id,
        weights: countParams(model).activeParams - lookup - norms,
      });
    }
  });
});

describe('decomposeStep under tensor parallelism', () => {
  it('splits every GEMM weight but the replicated lm head evenly over tp (dense models)', () => {
    const dense = listModels().filter((m) => m.architecture === 'dense');
    fc.assert(
      fc.property(
        fc.constantFrom(...dense),
        fc.constantFrom(1, 2, 4, 8),
        fc.integer({ min: 1, max: 4096 }),
        (model, tp, tokens) => {
          fc.pre(model.numKvHeads % tp === 0 && model.numHeads % tp === 0 && model.interSize % tp === 0);
          const gemmWeights = (t: number): number =>
            decomposeStep(model, par(t), BF16, step({ ctxRequests: 1, ctxTokens: tokens }))
              .filter((o) => o.query.kind === 'gemm' && o.name !== 'lm_head')
              .reduce((sum, o) => sum + (o.query.kind === 'gemm' ? o.count * o.query.n * o.query.k : 0), 0);
          expect(gemmWeights(tp) * tp).toBe(gemmWeights(1));
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });
});

describe('decomposeStep: activation quantisation fused into the norms', () => {
  const llama = loadModel('meta-llama/Llama-3.1-8B');
  const decode = step({ genRequests: 8, genKvLen: 1024 });
  const fp8 = { ...BF16, gemm: 'fp8' as const };
  const flagged = (ops: ReturnType<typeof decomposeStep>) =>
    ops.filter((o) => o.query.kind === 'gemm' && o.query.inputQuantized).map((o) => o.name);

  it('marks the GEMMs right after a norm when the engine fuses the quantisation there', () => {
    const ops = decomposeStep(llama, par(2), fp8, decode, { fusedNormQuant: true });
    expect(flagged(ops).sort()).toEqual(['gate_up_proj', 'qkv_proj']);
  });

  it('marks none without the fusion, or for bf16 GEMMs', () => {
    expect(flagged(decomposeStep(llama, par(2), fp8, decode))).toEqual([]);
    expect(flagged(decomposeStep(llama, par(2), BF16, decode, { fusedNormQuant: true }))).toEqual([]);
  });
});

describe('decomposeStep: q/k norm across the heads (MiniMax-M2)', () => {
  const minimax = loadModel('MiniMaxAI/MiniMax-M2.5');
  const decode = step({ genRequests: 16, genKvLen: 1024 });

  it('all-reduces each token variance over the tp ranks', () => {
    expect(minimax.qkNormAcrossHeads).toBe(true);
    const ops = decomposeStep(minimax, par(4, { moeTp: 4 }), BF16, decode);
    expect(op(ops, 'qk_norm_all_reduce').query).toMatchObject({
      op: 'all_reduce',
      dtype: 'float32',
      numGpus: 4,
      messageElements: 2 * 16,
    });
    expect(op(ops, 'qk_norm_all_reduce').count).toBe(62);
  });

  it('needs no exchange at tp 1, nor for per-head norms (Qwen3)', () => {
    expect(names(decomposeStep(minimax, par(1), BF16, decode))).not.toContain('qk_norm_all_reduce');
    const qwen = loadModel('Qwen/Qwen3-32B');
    expect(qwen.qkNormAcrossHeads).toBeUndefined();
    expect(names(decomposeStep(qwen, par(4), BF16, decode))).not.toContain('qk_norm_all_reduce');
  });
});
