import { describe, expect, it } from 'vitest';
import type { StepShape } from '../../src/models/index.js';
import { arrivalLagSteps, bucketKvLen, simulateAgg } from '../../src/serving/agg-simulation.js';

// Steps cost 10 ms when they carry any prefill, 5 ms when they only decode.
const flatStep = (step: StepShape): number => (step.ctxRequests > 0 ? 10 : 5);

const base = {
  maxRunning: 64,
  prefix: 0,
  tokensPerDecodeStep: 1,
  genTokensPerRequest: 1,
  stepMs: flatStep,
};

describe('simulateAgg', () => {
  it('one client: TTFT is one prefill step, TPOT one decode step', () => {
    const r = simulateAgg({ ...base, concurrency: 1, ctxTokens: 1000, isl: 100, osl: 10, totalRequests: 3 });
    expect(r.meanTtftMs).toBeCloseTo(10);
    // First token at 10 ms, nine decode steps of 5 ms.
    expect(r.meanTpotMs).toBeCloseTo(5);
    expect(r.meanRequestLatencyMs).toBeCloseTo(55);
    expect(r.outputTokensPerS).toBeCloseTo((30 / 165) * 1000);
  });

  it('overlap scheduler: the first token leaves one step after its prefill step', () => {
    // One client: the engine is idle whenever a request arrives, so only the hand-out lag shows.
    const input = { ...base, concurrency: 1, ctxTokens: 1000, isl: 100, osl: 10, totalRequests: 3 };
    expect(simulateAgg(input).meanTtftMs).toBeCloseTo(10);
    expect(simulateAgg({ ...input, overlapScheduler: true }).meanTtftMs).toBeCloseTo(15);
    expect(simulateAgg({ ...input, overlapScheduler: true }).meanTpotMs).toBeCloseTo(5);
  });

  it('a request reaching a busy engine waits for the steps already planned', () => {
    // Every step 10 ms, budget for every prompt. A client sends its next request at the end of the
    // step that answered it; the request reaches the engine during the next step, which was planned
    // without it, and prefills in the step after (TTFT 20 ms from the send). An overlap scheduler
    // planned that one too and hands the token out a step late (TTFT 1 + 1 + 1 + 1 steps = 40 ms).
    // Requests of the first wave, or reaching an idle engine, take 10 / 20 ms.
    const input = {
      ...base,
      stepMs: () => 10,
      concurrency: 32,
      ctxTokens: 100_000,
      isl: 100,
      osl: 40,
      lengthRatio: 0.5,
      totalRequests: 640,
    };
    const plain = simulateAgg(input).meanTtftMs;
    const overlapped = simulateAgg({ ...input, overlapScheduler: true }).meanTtftMs;
    expect(plain).toBeGreaterThan(19);
    expect(plain).toBeLessThanOrEqual(20 + 1e-9);
    expect(overlapped).toBeGreaterThan(38);
    expect(overlapped).toBeLessThanOrEqual(40 + 1e-9);
  });

  it('a request reaching a busy engine at a random point of a step loses half of it (closed form)', () => {
    // What the disaggregated estimate adds for a decode hand-off: half the running step, the
    // further planned steps and, with overlap, the late hand-out.
    expect(arrivalLagSteps(false)).toBe(0.5);
    expect(arrivalLagSteps(true)).toBe(2.5);
  });

  it('prefill-first: prefills run alone and decodes wait for them (SGLang)', () => {
    // Budget 100 = one prompt. A prefills (t=10); B prefills alone while A waits (t=20); then both
    // decode together: A's second token at t=25, B's at 25 too. Mixed: B's prefill rides along
    // with A's decode step instead.
    const steps: StepShape[] = [];
    const recordingStep = (step: StepShape): number => {
      steps.push(step);
      return flatStep(step);
    };
    const input = { ...base, concurrency: 2, ctxTokens: 100, isl: 100, osl: 2, totalRequests: 2 };
    const first = simulateAgg({ ...input, policy: 'prefill-first', stepMs: recordingStep });
    expect(steps.some((s) => s.ctxRequests > 0 && s.genRequests > 0)).toBe(false);
    expect(first.meanTtftMs).toBeCloseTo((10 + 20) / 2);
    expect(first.meanTpotMs).toBeCloseTo((15 + 5) / 2);
    steps.length = 0;
    simulateAgg({ ...input, policy: 'mixed', stepMs: recordingStep });
    expect(steps.some((s) => s.ctxRequests > 0 && s.genRequests > 0)).toBe(true);
  });

  it("tells the pricer how much of a step's prompt attention continues after cached tokens", () => {
    // Budget 150 for two 100-token prompts: step 1 carries A whole (no cache) and B's first 50;
    // step 2 carries B's last 50 after its 50 cached. Work: A 100 x 50, B 50 x 25 then 50 x 75.
    const steps: StepShape[] = [];
    const recordingStep = (step: StepShape): number => {
      steps.push(step);
      return flatStep(step);
    };
    const input = {
      ...base,
      concurrency: 2,
      ctxTokens: 150,
      isl: 100,
      osl: 2,
      totalRequests: 2,
      stepMs: recordingStep,
    };
    simulateAgg(input);
    const prompts = steps.filter((s) => s.ctxRequests > 0 && s.ctxPrefixedShare !== undefined);
    expect(prompts[0]).toMatchObject({ ctxRequests: 2, ctxPrefixedShare: 0 });
    expect(prompts[1]).toMatchObject({ ctxRequests: 1, ctxPrefix: 50, ctxPrefixedShare: 1 });
    // With a cached prefix every chunk continues.
    steps.length = 0;
    simulateAgg({ ...input, prefix: 40 });
    for (const s of steps.filter((step) => step.ctxRequests > 0)) expect(s.ctxPrefixedShare).toBe(1);
  });

  it('splits TTFT into queue, prefill and hand-out, and TPOT into decode work and prefill interference', () => {
    // The prefill-first case above: A prefills at 0-10 (queue 0), B waits for it and prefills at
    // 10-20 (queue 10); A decodes through B's prefill-only step (10 ms, no decode work) and the
    // joint decode step (5 ms); B through the joint step only. Per request TPOT: A 15 = 5 + 10,
    // B 5 = 5 + 0; means: decode 5, interference 5.
    const input = { ...base, concurrency: 2, ctxTokens: 100, isl: 100, osl: 2, totalRequests: 2 };
    const r = simulateAgg({ ...input, policy: 'prefill-first' });
    expect(r.meanQueueMs).toBeCloseTo(5);
    expect(r.meanPrefillMs).toBeCloseTo(10);
    expect(r.meanHandOutMs).toBeCloseTo(0);
    expect(r.meanQueueMs + r.meanPrefillMs + r.meanHandOutMs).toBeCloseTo(r.meanTtftMs);
    expect(r.meanTpotMs * r.decodeShare).toBeCloseTo(5);
    // One client never waits and nothing interrupts its decodes; an overlap scheduler's late
    // hand-out is its own part.
    const oneClient = { ...base, concurrency: 1, ctxTokens: 1000, isl: 100, osl: 10, totalRequests: 3 };
    const alone = simulateAgg(oneClient);
    expect([alone.meanQueueMs, alone.meanPrefillMs, alone.decodeShare]).toEqual([0, 10, 1]);
    const overlapped = simulateAgg({ ...oneClient, overlapScheduler: true });
    expect(overlapped.meanHandOutMs).toBeCloseTo(5);
    expect(overlapped.meanQueueMs + overlapped.meanPrefillMs + overlapped.meanHandOutMs).toBeCloseTo(
      overlapped.meanTtftMs,
    );
  });

  it('mixed steps: only the prefill share of a step counts as interference', () => {
    // Prefill-carrying steps cost 10 ms, decode-only steps 5 ms, so a step that carries a chunk
    // beside decodes is half decode work (what those decodes cost alone) and half interference.
    const r = simulateAgg({
      ...base,
      concurrency: 16,
      ctxTokens: 64,
      isl: 100,
      osl: 50,
      lengthRatio: 0.5,
      totalRequests: 160,
    });
    expect(r.decodeShare).toBeGreaterThan(0.5);
    expect(r.decodeShare).toBeLessThan(1);
    expect(r.meanQueueMs).toBeGreaterThan(0);
    expect(r.meanQueueMs + r.meanPrefillMs + r.meanHandOutMs).toBeCloseTo(r.meanTtftMs, 6);
  });

  it('without chunked prefill a prompt waits for a step whose budget holds it whole (TensorRT-LLM)', () => {
    // Budget 150, prompts of 100. Chunked: step 1 carries A's 100 and 50 of B's. Whole prompts:
    // step 1 carries A alone (B's 100 do not fit in the 50 left); step 2 A's decode and all of B.
    const steps: StepShape[] = [];
    const recordingStep = (step: StepShape): number => {
      steps.push(step);
      return flatStep(step);
    };
    const input = { ...base, concurrency: 2, ctxTokens: 150, isl: 100, osl: 3, totalRequests: 2 };
    simulateAgg({ ...input, chunkedPrefill: false, stepMs: recordingStep });
    const prefillSteps = steps.filter((s) => s.ctxRequests > 0);
    expect(prefillSteps.map((s) => s.ctxRequests * s.ctxTokens)).toEqual([100, 100]);
    steps.length = 0;
    simulateAgg({ ...input, chunkedPrefill: true, stepMs: recordingStep });
    expect(steps[0]).toMatchObject({ ctxRequests: 2, ctxTokens: 75 });
  });

  it('a second client queues behind the first prefill under a small token budget', () => {
    // Budget 100 = one whole prompt. Step 1: A's prefill (t=10). Step 2: A decodes, B takes the
    // remaining 99 tokens (t=20). Step 3: A decodes, B's last token (t=30): B's TTFT is 30.
    const r = simulateAgg({ ...base, concurrency: 2, ctxTokens: 100, isl: 100, osl: 2, totalRequests: 2 });
    expect(r.meanTtftMs).toBeCloseTo((10 + 30) / 2);
  });

  it('TTFT grows with load while a big budget lets everyone prefill at once', () => {
    const small = simulateAgg({
      ...base,
      concurrency: 16,
      ctxTokens: 512,
      isl: 1024,
      osl: 64,
      totalRequests: 64,
    });
    const big = simulateAgg({
      ...base,
      concurrency: 16,
      ctxTokens: 1 << 20,
      isl: 1024,
      osl: 64,
      totalRequests: 64,
    });
    expect(small.meanTtftMs).toBeGreaterThan(big.meanTtftMs * 4);
  });

  it('speculative decoding shortens TPOT by the accepted tokens per step', () => {
    const plain = simulateAgg({
      ...base,
      concurrency: 1,
      ctxTokens: 4096,
      isl: 100,
      osl: 101,
      totalRequests: 2,
    });
    const mtp = simulateAgg({
      ...base,
      concurrency: 1,
      ctxTokens: 4096,
      isl: 100,
      osl: 101,
      totalRequests: 2,
      tokensPerDecodeStep: 2,
      genTokensPerRequest: 2,
    });
    expect(mtp.meanTpotMs).toBeCloseTo(plain.meanTpotMs / 2, 1);
  });

  it('completes every request exactly once', () => {
    const r = simulateAgg({ ...base, concurrency: 7, ctxTokens: 300, isl: 200, osl: 13, totalRequests: 50 });
    expect(r.requestsPerS * (r.durationMs / 1000)).toBeCloseTo(50);
  });
});

describe('bucketKvLen', () => {
  it('keeps the relative error small', () => {
    for (const kv of [1, 17, 300, 1000, 4000, 5000, 33000, 131071]) {
      expect(Math.abs(bucketKvLen(kv) - kv) / kv).toBeLessThanOrEqual(1 / 64);
    }
  });
});
