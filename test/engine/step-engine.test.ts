import { describe, expect, it } from 'vitest';
import { backendProfile, StepEngine } from '../../src/engine/index.js';
import { SystemRegistry } from '../../src/hardware/index.js';
import { loadModel, resolveQuant, type StepShape } from '../../src/models/index.js';
import type { OpQuery } from '../../src/perfdb/index.js';
import { formulaDatabase } from '../helpers/formula-database.js';

const system = new SystemRegistry().get('h200_sxm');

function engineFor(modelId: string, backend: 'torch' | 'vllm' | 'sglang' = 'torch') {
  const model = loadModel(modelId);
  const quant = resolveQuant(model, system.gpu.sm_version);
  return new StepEngine({ model, system, db: formulaDatabase(), quant, profile: backendProfile(backend) });
}

const dense = { tp: 2, pp: 1, attentionDp: 1, moeTp: 2, moeEp: 1 };
const moe = { tp: 4, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 4 };
const mla = { tp: 8, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 8 };

const steps: StepShape[] = [
  { ctxRequests: 1, ctxTokens: 1000, ctxPrefix: 0, genRequests: 0, genKvLen: 0, genTokensPerRequest: 1 },
  { ctxRequests: 0, ctxTokens: 0, ctxPrefix: 0, genRequests: 64, genKvLen: 3000, genTokensPerRequest: 1 },
  { ctxRequests: 2, ctxTokens: 700, ctxPrefix: 300, genRequests: 37, genKvLen: 1900, genTokensPerRequest: 1 },
  // Speculative decoding: two tokens per decoding request (DeepSeek's MTP layer joins in).
  { ctxRequests: 1, ctxTokens: 512, ctxPrefix: 0, genRequests: 20, genKvLen: 2500, genTokensPerRequest: 2 },
];

/** Dense Llama: projections and the lm head are GEMMs, all-reduces / gathers comm, the rest elementwise. */
function kindOf(name: string): 'gemm' | 'context_attention' | 'comm' | 'elementwise' {
  return name.includes('proj') || name === 'lm_head'
    ? 'gemm'
    : name === 'context_attention'
      ? 'context_attention'
      : /all_reduce|all_gather/.test(name)
        ? 'comm'
        : 'elementwise';
}

describe('StepEngine.stepMs (fast separable pricing)', () => {
  for (const [id, parallel] of [
    ['meta-llama/Llama-3.1-8B', dense],
    ['Qwen/Qwen3-30B-A3B', moe],
    ['deepseek-ai/DeepSeek-V3', mla],
  ] as const) {
    it(`agrees with pricing the whole decomposition for ${id}`, () => {
      const engine = engineFor(id);
      for (const step of steps) {
        const exact = engine.stepLatency(parallel, step).totalMs;
        const fast = engine.stepMs(parallel, step);
        // Token counts are interpolated on a grid and two lm-head calls replace one in mixed steps.
        expect(Math.abs(fast - exact) / exact).toBeLessThan(0.03);
      }
    });
  }

  it('serving engines fuse rope, kv writes and residual adds; the torch backend does not', () => {
    const torch = engineFor('meta-llama/Llama-3.1-8B', 'torch');
    const vllm = engineFor('meta-llama/Llama-3.1-8B', 'vllm');
    const step = steps[0]!;
    const names = (e: StepEngine) => e.stepLatency(dense, step).ops.map((op) => op.name);
    expect(names(torch)).toContain('rope');
    expect(names(torch)).toContain('residual_add');
    expect(names(vllm)).not.toContain('rope');
    expect(names(vllm)).not.toContain('kv_write');
    expect(names(vllm)).not.toContain('residual_add');
  });

  it('layouts differing only in pp share one pricer and still agree with the exact pricing', () => {
    for (const backend of ['torch', 'vllm'] as const) {
      const engine = engineFor('meta-llama/Llama-3.1-8B', backend);
      // vLLM's per-step host cost is added by the timer only (not part of the op breakdown).
      const hostMs = backendProfile(backend).stepOverheadMs;
      for (const pp of [1, 2, 4]) {
        const parallel = { ...dense, pp };
        for (const step of steps) {
          const exact = engine.stepLatency(parallel, step).totalMs;
          // pp 1 priced first fills the shared caches; pp 2 and 4 must add their own hops.
          const fast = engine.stepMs(parallel, step) - hostMs;
          expect(Math.abs(fast - exact) / exact).toBeLessThan(0.03);
        }
      }
      // The hops are what pp adds at the same micro-batch: a decode of 64 at pp 2 costs the pp 1
      // decode of 32 plus the one hop the breakdown prices (plus one graph gap on torch).
      const decode = steps[1]!;
      const half = { ...decode, genRequests: decode.genRequests / 2 };
      const hopMs = engine
        .stepLatency({ ...dense, pp: 2 }, decode)
        .ops.find((op) => op.name === 'pipeline_p2p')!.totalMs;
      expect(hopMs).toBeGreaterThan(0);
      const gapMs = backend === 'torch' ? backendProfile('torch').graphGapMs : 0;
      expect(engine.stepMs({ ...dense, pp: 2 }, decode) - engine.stepMs(dense, half)).toBeCloseTo(
        hopMs + gapMs,
        9,
      );
    }
  });

  it('prices pipeline hops between nodes apart, in the breakdown and the fast pricer alike', () => {
    // A database where a hop between nodes costs a visible 5 ms (the formula one ignores links).
    const formula = formulaDatabase();
    const db = {
      ...formula,
      query: (op: OpQuery) =>
        op.kind === 'comm' && op.op === 'p2p' && op.numGpus > 8
          ? { ...formula.query(op), latencyMs: 5 }
          : formula.query(op),
    };
    const model = loadModel('meta-llama/Llama-3.1-8B');
    const quant = resolveQuant(model, system.gpu.sm_version);
    const engine = new StepEngine({ model, system, db, quant, profile: backendProfile('vllm') });
    const prefill = { ...steps[0]!, ctxTokens: 8192 };
    const names = (parallel: typeof dense) => engine.stepLatency(parallel, prefill).ops.map((op) => op.name);
    // tp 4 x pp 2 fits one 8-GPU H200 node; tp 8 x pp 2 puts each stage on its own node.
    const inNode = { ...dense, tp: 4, moeTp: 4, pp: 2 };
    const acrossNodes = { ...dense, tp: 8, moeTp: 8, pp: 2 };
    expect(names(inNode)).toContain('pipeline_p2p');
    expect(names(inNode)).not.toContain('pipeline_p2p_cross_node');
    expect(names(acrossNodes)).toContain('pipeline_p2p_cross_node');
    expect(names(acrossNodes)).not.toContain('pipeline_p2p');
    const crossMs = (parallel: typeof dense) =>
      engine.stepLatency(parallel, prefill).ops.find((op) => op.name === 'pipeline_p2p_cross_node')?.totalMs;
    expect(crossMs(acrossNodes)).toBe(5);
    expect(crossMs({ ...acrossNodes, pp: 4 })).toBe(15);
    const hostMs = backendProfile('vllm').stepOverheadMs;
    for (const parallel of [inNode, acrossNodes, { ...acrossNodes, pp: 4 }]) {
      const exact = engine.stepLatency(parallel, prefill).totalMs;
      expect(Math.abs(engine.stepMs(parallel, prefill) - hostMs - exact) / exact).toBeLessThan(0.03);
    }
  });

  it('checks the layout when a step timer is made, whatever pricer it shares', () => {
    for (const backend of ['torch', 'vllm'] as const) {
      const engine = engineFor('meta-llama/Llama-3.1-8B', backend);
      expect(() => engine.stepMs({ ...dense, pp: 1000 }, steps[1]!)).toThrow('exceeds the 32 layers');
      expect(() => engine.stepMs({ ...dense, pp: 0 }, steps[1]!)).toThrow(/pp=0/);
    }
  });

  it("prices prefill attention after a cached prefix at the profile's measured factor", () => {
    const torch = engineFor('meta-llama/Llama-3.1-8B', 'torch');
    const vllm = engineFor('meta-llama/Llama-3.1-8B', 'vllm');
    const attention = (engine: StepEngine, prefix: number) =>
      engine
        .stepLatency(dense, { ...steps[0]!, ctxTokens: 1024, ctxPrefix: prefix })
        .ops.find((op) => op.name === 'context_attention')!;
    // Both price the same query on the same database; only the torch profile stretches it, and
    // only with a prefix.
    const factor = backendProfile('torch').prefixAttentionFactor;
    expect(factor).toBe(1.75);
    expect(backendProfile('vllm').prefixAttentionFactor).toBe(1);
    expect(attention(torch, 3072).latencyMs / attention(vllm, 3072).latencyMs).toBeCloseTo(factor, 9);
    expect(attention(torch, 0).latencyMs).toBeCloseTo(attention(vllm, 0).latencyMs, 12);
    // The fast pricer agrees with the breakdown on the same prefix step.
    const step = { ...steps[0]!, ctxTokens: 1024, ctxPrefix: 3072 };
    const exact = torch.stepLatency(dense, step).totalMs;
    expect(Math.abs(torch.stepMs(dense, step) - exact) / exact).toBeLessThan(0.03);
    // A step whose chunks differ stretches only the share that continues after cached tokens
    // (each chunk runs as its own call); the rest keeps the table's speed.
    const mixedShare = (share: number) =>
      torch
        .stepLatency(dense, { ...step, ctxRequests: 2, ctxPrefixedShare: share })
        .ops.find((op) => op.name === 'context_attention')!.latencyMs;
    expect(mixedShare(0.25) / mixedShare(0)).toBeCloseTo(1 + (factor - 1) * 0.25, 9);
    expect(mixedShare(1) / mixedShare(0)).toBeCloseTo(factor, 9);
    for (const share of [0, 0.25, 1]) {
      const shaped = { ...step, ctxRequests: 2, ctxPrefixedShare: share };
      const exactMs = torch.stepLatency(dense, shaped).totalMs;
      // The fast pricer on one engine: steps with and without a stretched share do not share a price.
      expect(Math.abs(torch.stepMs(dense, shaped) - exactMs) / exactMs).toBeLessThan(0.03);
    }
    expect(torch.stepMs(dense, { ...step, ctxPrefixedShare: 0 })).toBeLessThan(torch.stepMs(dense, step));
    expect(() => torch.stepLatency(dense, { ...step, ctxPrefixedShare: 1.5 })).toThrow(
      "step shape field 'ctxPrefixedShare': must be in [0, 1], got 1.5",
    );
  });

  it('leaves sliding-window prompt attention to the tables (only full attention was timed after a prefix)', () => {
    const torch = engineFor('openai/gpt-oss-20b', 'torch');
    const vllm = engineFor('openai/gpt-oss-20b', 'vllm');
    const par = { tp: 1, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1 };
    const step = { ...steps[0]!, ctxTokens: 1024, ctxPrefix: 3072 };
    const op = (engine: StepEngine, name: string) =>
      engine.stepLatency(par, step).ops.find((o) => o.name === name)!.latencyMs;
    expect(op(torch, 'context_attention_swa')).toBeCloseTo(op(vllm, 'context_attention_swa'), 12);
    expect(op(torch, 'context_attention') / op(vllm, 'context_attention')).toBeCloseTo(1.75, 9);
  });

  it('refuses a malformed step shape in one line naming the field', () => {
    const engine = engineFor('meta-llama/Llama-3.1-8B');
    expect(() => engine.stepLatency(dense, { ...steps[0]!, ctxTokens: -1 })).toThrow(
      "step shape field 'ctxTokens': must be an integer >= 0, got -1",
    );
    expect(() => engine.stepLatency(dense, { ...steps[1]!, genTokensPerRequest: 0 })).toThrow(
      "step shape field 'genTokensPerRequest'",
    );
  });

  it('pipeline parallelism prices a step at the micro-batch', () => {
    const engine = engineFor('meta-llama/Llama-3.1-8B');
    const pp1 = { tp: 1, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1 };
    const pp2 = { ...pp1, pp: 2 };
    const decode = steps[1]!;
    const half = { ...decode, genRequests: decode.genRequests / 2 };
    // Same full-model ops at half the requests, plus the stage hand-off.
    expect(engine.stepLatency(pp2, decode).totalMs).toBeGreaterThan(engine.stepLatency(pp1, half).totalMs);
    expect(engine.stepLatency(pp2, decode).totalMs).toBeLessThan(engine.stepLatency(pp1, decode).totalMs);
  });

  it('adds the graph gap per op to a decode step and bounds an eager prefill by host launches', () => {
    const engine = engineFor('meta-llama/Llama-3.1-8B', 'torch');
    const decode = engine.stepLatency(dense, steps[1]!);
    expect(decode.launchOverheadMs).toBeCloseTo(decode.opInstances * 0.001, 9);
    // A tiny prefill: launching every op from the host takes longer than the GPU work, so the
    // step takes exactly the host launch time of its ops.
    const tiny = { ...steps[0]!, ctxTokens: 8 };
    const prefill = engine.stepLatency(dense, tiny);
    const launchMs = backendProfile('torch').eagerLaunchMs;
    const hostMs = prefill.ops.reduce((sum, op) => sum + op.count * launchMs[kindOf(op.name)], 0);
    expect(hostMs).toBeGreaterThan(prefill.totalMs - prefill.launchOverheadMs);
    expect(prefill.totalMs).toBeCloseTo(hostMs, 9);
    expect(prefill.launchOverheadMs).toBeGreaterThan(0);
    // The serving engines' profiles carry no such costs (their tables and step overhead do).
    expect(engineFor('meta-llama/Llama-3.1-8B', 'vllm').stepLatency(dense, steps[1]!).launchOverheadMs).toBe(
      0,
    );
  });

  it('prices a decode step eagerly with CUDA graphs off, where the profile has launch costs', () => {
    const model = loadModel('meta-llama/Llama-3.1-8B');
    const quant = resolveQuant(model, system.gpu.sm_version);
    const build = (backend: 'torch' | 'vllm', cudaGraphs: boolean) =>
      new StepEngine({
        model,
        system,
        db: formulaDatabase(),
        quant,
        profile: backendProfile(backend, { cudaGraphs }),
      });
    const small = { ...steps[1]!, genRequests: 1, genKvLen: 100 };
    const graphed = build('torch', true).stepLatency(dense, small);
    const eager = build('torch', false).stepLatency(dense, small);
    // A small decode is host-bound when launched op by op: the step takes the host launch time.
    const launchMs = backendProfile('torch').eagerLaunchMs;
    const kind = (name: string) => (name === 'generation_attention' ? 'generation_attention' : kindOf(name));
    const hostMs = eager.ops.reduce((sum, op) => sum + op.count * launchMs[kind(op.name)], 0);
    expect(eager.totalMs).toBeCloseTo(hostMs, 9);
    expect(eager.totalMs).toBeGreaterThan(graphed.totalMs);
    // The fast pricer the simulations use agrees.
    expect(build('torch', false).stepMs(dense, small)).toBeCloseTo(hostMs, 6);
    // A prefill step runs eagerly either way.
    expect(build('torch', false).stepLatency(dense, steps[0]!).totalMs).toBe(
      build('torch', true).stepLatency(dense, steps[0]!).totalMs,
    );
    // Engines whose tables carry launch costs price no difference.
    expect(build('vllm', false).stepMs(dense, small)).toBe(build('vllm', true).stepMs(dense, small));
  });

  it('adds the measured eager GPU gap per op kind to a GPU-bound eager prefill', () => {
    const engine = engineFor('meta-llama/Llama-3.1-8B', 'torch');
    const gaps = backendProfile('torch').eagerGapMs!;
    const prefill = engine.stepLatency(dense, { ...steps[0]!, ctxTokens: 8192 });
    const expected = prefill.ops.reduce((sum, op) => sum + op.count * gaps[kindOf(op.name)], 0);
    expect(expected).toBeGreaterThan(0);
    expect(prefill.launchOverheadMs).toBeCloseTo(expected, 9);
  });

  it('adds the per-step host cost to the GPU time, or hides it behind the GPU with an overlap scheduler', () => {
    // vLLM and SGLang price the same ops; SGLang's overlap scheduler prepares the next step while
    // the GPU runs this one, so its step costs max(GPU time, host cost).
    const vllm = engineFor('meta-llama/Llama-3.1-8B', 'vllm');
    const sglang = engineFor('meta-llama/Llama-3.1-8B', 'sglang');
    const hostMs = backendProfile('sglang').stepOverheadMs;
    const big = steps[1]!;
    const gpuMs = vllm.stepMs(dense, big) - backendProfile('vllm').stepOverheadMs;
    expect(gpuMs).toBeGreaterThan(hostMs);
    expect(sglang.stepMs(dense, big)).toBeCloseTo(gpuMs, 9);
    // On a fast GPU (a database a thousand times faster) the step costs the host work.
    const model = loadModel('meta-llama/Llama-3.1-8B');
    const fastDb = formulaDatabase({ msPerGemmFlop: 1e-15, fixedMs: 0.00001 });
    const fastSglang = new StepEngine({
      model,
      system,
      db: fastDb,
      quant: resolveQuant(model, system.gpu.sm_version),
      profile: backendProfile('sglang'),
    });
    expect(fastSglang.stepMs(dense, { ...big, genRequests: 1, genKvLen: 1 })).toBeCloseTo(hostMs, 9);
  });

  it('reports how much of the step each provenance covers', () => {
    const latency = engineFor('meta-llama/Llama-3.1-8B').stepLatency(dense, steps[2]!);
    // Launch costs (graph gaps, eager host launches) come on top of the priced ops.
    expect(latency.msByProvenance.measured).toBeCloseTo(latency.totalMs - latency.launchOverheadMs);
    expect(latency.launchOverheadMs).toBeGreaterThan(0);
    expect(latency.ops.every((op) => op.totalMs === op.latencyMs * op.count)).toBe(true);
  });
});

describe('memory model', () => {
  it('Llama-3.1-8B in bf16 needs about 16 GB of weights on one GPU and fits a modest batch', () => {
    const engine = engineFor('meta-llama/Llama-3.1-8B');
    const single = { tp: 1, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1 };
    const mem = engine.memory(single, 32 * 5000, 8192);
    expect(mem.weightsBytes / 1e9).toBeGreaterThan(15.5);
    expect(mem.weightsBytes / 1e9).toBeLessThan(17);
    // 32 layers * 8 kv heads * 128 dims * 2 (k, v) * 2 bytes = 128 KiB per token.
    expect(mem.kvCacheBytes).toBe(32 * 5000 * 131072);
    expect(mem.fits).toBe(true);
    expect(engine.memory(single, 2_000_000, 8192).fits).toBe(false);
  });
});

describe('StepEngine.stepMs caches', () => {
  it('price a step the same whichever steps were priced before it (shared decompositions, no order effects)', () => {
    const grid: StepShape[] = [];
    for (const ctxTokens of [0, 7, 1000, 5000])
      for (const genRequests of [0, 1, 64, 200])
        for (const genKvLen of [50, 33000])
          grid.push({
            ctxRequests: ctxTokens > 0 ? 2 : 0,
            ctxTokens,
            ctxPrefix: ctxTokens > 0 ? 300 : 0,
            genRequests,
            genKvLen: genRequests > 0 ? genKvLen : 0,
            genTokensPerRequest: 1,
          });
    for (const [id, parallel] of [
      ['meta-llama/Llama-3.1-8B', dense],
      ['deepseek-ai/DeepSeek-V3', mla],
    ] as const) {
      const forward = engineFor(id);
      const backward = engineFor(id);
      const ahead = grid.map((step) => forward.stepMs(parallel, step));
      const behind = [...grid].reverse().map((step) => backward.stepMs(parallel, step));
      expect(behind.reverse()).toEqual(ahead);
    }
  });
});
