import { describe, expect, it } from 'vitest';
import { InfeasibleError, InvalidConfigError } from '../../src/common/index.js';
import { SystemRegistry } from '../../src/hardware/index.js';
import { loadModel, type ModelSpec, resolveQuant } from '../../src/models/index.js';
import { createEstimator, MAX_NEXTN, type Workload } from '../../src/serving/index.js';
import { formulaDatabase } from '../helpers/formula-database.js';

const system = new SystemRegistry().get('h200_sxm');
const model = loadModel('meta-llama/Llama-3.1-8B');
const quant = resolveQuant(model, system.gpu.sm_version);
const tp1 = { tp: 1, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1 };
const workload: Workload = { isl: 1000, osl: 101, prefix: 0, nextn: 0, nextnAccept: 0 };

function estimator(spec: ModelSpec = model) {
  return createEstimator({ model: spec, system, db: formulaDatabase(), quant, backend: 'torch' });
}

const ctx = (requests: number) => ({
  ctxRequests: requests,
  ctxTokens: 1000,
  ctxPrefix: 0,
  genRequests: 0,
  genKvLen: 0,
  genTokensPerRequest: 1,
});
const gen = (requests: number, kv: number) => ({
  ctxRequests: 0,
  ctxTokens: 0,
  ctxPrefix: 0,
  genRequests: requests,
  genKvLen: kv,
  genTokensPerRequest: 1,
});

describe('static batching', () => {
  it('TTFT is the prefill step; TPOT the mean decode step; throughput the batch over the whole run', () => {
    const e = estimator();
    const m = e.estimate({ mode: 'static', parallel: tp1, batchSize: 4 }, workload);
    expect(m.ttftMs).toBeCloseTo(e.engine.stepMs(tp1, ctx(4)), 6);
    // 100 decode steps sampled in strides of 32 at the middle kv of each stride.
    let decodeMs = 0;
    for (const [start, n] of [
      [0, 32],
      [32, 32],
      [64, 32],
      [96, 4],
    ] as const) {
      decodeMs += n * e.engine.stepMs(tp1, gen(4, 1000 + 1 + start + n / 2));
    }
    expect(m.tpotMs).toBeCloseTo(decodeMs / 100, 6);
    expect(m.tokensPerS).toBeCloseTo((4 * 101 * 1000) / (m.ttftMs + decodeMs), 6);
    expect(m.requestLatencyMs).toBeCloseTo(m.ttftMs + m.tpotMs * 100, 6);
    expect(m.tokensPerSPerUser).toBeCloseTo(1000 / m.tpotMs, 6);
    expect(m.gpusPerReplica).toBe(1);
  });
});

describe('disaggregated serving', () => {
  it('rate-matches prefill and decode and divides throughput by every GPU of the replica', () => {
    const e = estimator();
    const config = {
      mode: 'disagg' as const,
      prefill: { parallel: tp1, batchSize: 1, workers: 2 },
      decode: { parallel: { ...tp1, tp: 2, moeTp: 2 }, batchSize: 32, workers: 1 },
    };
    const m = e.estimate(config, workload);
    const prefillMs = e.engine.stepMs(tp1, ctx(1));
    // Decode steps run at the mean kv length over the output, rounded to a whole token.
    const tpotMs = e.engine.stepMs(config.decode.parallel, gen(32, Math.round(1000 + 101 / 2)));
    const prefillRatePerS = (2 * 1000) / prefillMs;
    const decodeRatePerS = (32 * 1000) / (tpotMs * 100);
    const expectedRate = 0.92 * Math.min(prefillRatePerS, decodeRatePerS);
    expect(m.requestsPerS).toBeCloseTo(expectedRate, 6);
    expect(m.tpotMs).toBeCloseTo(tpotMs, 6);
    expect(m.tokensPerS).toBeCloseTo(expectedRate * 101, 4);
    expect(m.gpusPerReplica).toBe(4);
    expect(m.tokensPerSPerGpu).toBeCloseTo(m.tokensPerS / 4, 6);
    expect(m.ttftMs).toBeGreaterThan(prefillMs);
    // TTFT's parts: the prefill step, its queue, and the hand-off (KV transfer, decode take-up).
    expect(m.ttftParts.prefillMs).toBeCloseTo(prefillMs, 6);
    const { overheadMs, queueMs, handOffMs } = m.ttftParts;
    expect(overheadMs + queueMs + m.ttftParts.prefillMs + handOffMs).toBeCloseTo(m.ttftMs, 6);
    expect(handOffMs).toBeGreaterThan(0);
    expect(m.tpotParts).toEqual({ decodeMs: m.tpotMs, prefillInterferenceMs: 0 });
  });

  it('under a fixed number of clients, queues their opening burst for prefill over the benchmark', () => {
    const e = estimator();
    const config = (clients: number) => ({
      mode: 'disagg' as const,
      prefill: { parallel: tp1, batchSize: 1, workers: 1 },
      decode: { parallel: tp1, batchSize: 64, workers: 1 },
      clients,
    });
    const prefillMs = e.engine.stepMs(tp1, ctx(1));
    const one = e.estimate(config(1), workload);
    expect(one.ttftParts.queueMs).toBe(0);
    // 32 clients, one prefill slot: the first wave waits 0..31 prefills (mean 15.5); the later
    // waves come back spread by that stagger, much of it kept; 10 waves in all.
    const many = e.estimate(config(32), workload);
    expect(many.ttftParts.queueMs).toBeGreaterThanOrEqual((15.5 * prefillMs) / 10);
    expect(many.ttftParts.queueMs).toBeLessThan(15.5 * prefillMs);
    // Fewer waves weigh the burst more.
    const short = createEstimator({
      model,
      system,
      db: formulaDatabase(),
      quant,
      backend: 'torch',
      waves: 1,
    });
    expect(short.estimate(config(32), workload).ttftParts.queueMs).toBeCloseTo(15.5 * prefillMs, 6);
  });
});

describe('aggregated serving', () => {
  it('more clients raise throughput and TTFT', () => {
    const e = estimator();
    const light = e.estimate({ mode: 'agg', parallel: tp1, batchSize: 2, ctxTokens: 8192 }, workload);
    const heavy = e.estimate({ mode: 'agg', parallel: tp1, batchSize: 64, ctxTokens: 8192 }, workload);
    expect(heavy.tokensPerS).toBeGreaterThan(light.tokensPerS * 4);
    expect(heavy.ttftMs).toBeGreaterThan(light.ttftMs);
    expect(heavy.tpotMs).toBeGreaterThan(light.tpotMs);
    // The extra TTFT under load is queueing; the extra TPOT partly other requests' prefills.
    for (const m of [light, heavy]) {
      const p = m.ttftParts;
      expect(p.overheadMs + p.queueMs + p.prefillMs + p.handOffMs).toBeCloseTo(m.ttftMs, 6);
      expect(m.tpotParts.decodeMs + m.tpotParts.prefillInterferenceMs).toBeCloseTo(m.tpotMs, 6);
    }
    expect(heavy.ttftParts.queueMs).toBeGreaterThan(light.ttftParts.queueMs);
    expect(heavy.tpotParts.prefillInterferenceMs).toBeGreaterThan(0);
  });

  it('refuses a batch whose KV cache does not fit, naming the sizes', () => {
    const e = estimator();
    const long: Workload = { ...workload, isl: 100_000, osl: 28_000 };
    expect(() => e.estimate({ mode: 'agg', parallel: tp1, batchSize: 256, ctxTokens: 8192 }, long)).toThrow(
      InfeasibleError,
    );
    expect(() => e.estimate({ mode: 'agg', parallel: tp1, batchSize: 256, ctxTokens: 8192 }, long)).toThrow(
      /GiB per GPU/,
    );
  });

  it('names the largest batch that would fit, and says when not even one request fits', () => {
    const e = estimator();
    const long: Workload = { ...workload, isl: 100_000, osl: 28_000 };
    let message = '';
    try {
      e.estimate({ mode: 'agg', parallel: tp1, batchSize: 256, ctxTokens: 8192 }, long);
    } catch (error) {
      message = (error as Error).message;
    }
    const largest = Number(/at most batch (\d+) fits/.exec(message)?.[1]);
    expect(e.fits(tp1, largest, long).fits).toBe(true);
    expect(e.fits(tp1, largest + 1, long).fits).toBe(false);
    // Past the model's context window the request is refused before memory is looked at ...
    const huge: Workload = { ...workload, isl: 5_000_000, osl: 1000 };
    expect(() => e.estimate({ mode: 'agg', parallel: tp1, batchSize: 4, ctxTokens: 8192 }, huge)).toThrow(
      /5001000 tokens exceeds meta-llama\/Llama-3.1-8B's context window of 131072/,
    );
    // ... and a config that states no window meets the memory limit instead.
    const { maxPositionEmbeddings: _window, ...unbounded } = model;
    expect(() =>
      estimator(unbounded).estimate({ mode: 'agg', parallel: tp1, batchSize: 4, ctxTokens: 8192 }, huge),
    ).toThrow(/not even one request fits/);
  });

  it("keeps TTFT growing with the clients under a deep queue (closed loop: Little's law)", () => {
    const e = estimator();
    const ttftAt = (clients: number) =>
      e.estimate({ mode: 'agg', parallel: tp1, batchSize: 64, ctxTokens: 8192, clients }, workload).ttftMs;
    const [a, b] = [ttftAt(1000), ttftAt(4000)];
    // Throughput is capped by the batch, so four times the clients wait about four times as long.
    expect(b / a).toBeGreaterThan(3);
    expect(b / a).toBeLessThan(5);
  });

  it('refuses speculation on a model without MTP layers, and past the draft tokens priced', () => {
    const e = estimator();
    const agg = { mode: 'agg', parallel: tp1, batchSize: 4, ctxTokens: 8192 } as const;
    expect(() => e.estimate(agg, { ...workload, nextn: 2, nextnAccept: 1 })).toThrow(
      /nextn 2: meta-llama\/Llama-3.1-8B has no MTP layers/,
    );
    const mtp = estimator({ ...model, nextnLayers: 1 });
    expect(mtp.estimate(agg, { ...workload, nextn: 2, nextnAccept: 1 }).tpotMs).toBeGreaterThan(0);
    expect(() => mtp.estimate(agg, { ...workload, nextn: MAX_NEXTN + 1, nextnAccept: 1 })).toThrow(
      /more than the 8 draft tokens per step priced/,
    );
  });

  it('largest fitting batch: the whole batch when it fits, else the boundary below it', () => {
    const e = estimator();
    expect(e.largestFittingBatch(tp1, 13, workload, 'decode')).toBe(13);
    const long: Workload = { ...workload, isl: 100_000, osl: 28_000 };
    const largest = e.largestFittingBatch(tp1, 256, long, 'agg');
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(256);
    expect(e.fits(tp1, largest, long).fits).toBe(true);
    expect(e.fits(tp1, largest + 1, long).fits).toBe(false);
  });

  it('rejects impossible parallelism with the rule that broke', () => {
    const e = estimator();
    expect(e.checkParallel({ ...tp1, tp: 3, moeTp: 3 })).toMatch(/tp=3/);
    expect(() =>
      e.estimate(
        { mode: 'agg', parallel: { ...tp1, tp: 3, moeTp: 3 }, batchSize: 1, ctxTokens: 8192 },
        workload,
      ),
    ).toThrow(InvalidConfigError);
  });
});
