import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/common/index.js';
import {
  compareByObjective,
  type EvaluatedPoint,
  enumerateParallel,
  feasibleBatches,
  objectiveScore,
  scaleToBudget,
  searchDeployments,
} from '../../src/search/index.js';
import type { AggConfig, DisaggConfig } from '../../src/serving/index.js';
import { FakeEstimator, metricsOf, WORKLOAD } from './fake-estimator.js';

const DENSE_SPACE = { tpValues: [1, 2, 4, 8], ppValues: [1] };
const AGG_BASE = {
  workload: WORKLOAD,
  modes: ['agg'] as const,
  parallelSpace: DENSE_SPACE,
  batchLadder: [1, 2, 4, 6, 8, 16],
  ctxTokensChoices: [4096],
  sla: { ttftMs: 1000, tpotMs: 14 },
};

describe('searchDeployments: aggregated', () => {
  it('picks the best tokens/s/gpu under the SLA (hand-computed)', () => {
    // TPOT = 10 + b/g + (g-1) <= 14: tp1 allows b 4 (4000/14 = 285.7 tok/s/gpu), tp2 b 6 (214.3),
    // tp4 b 4 (71.4), tp8 never. The best is tp1 batch 4, eight replicas of one GPU.
    const result = searchDeployments({ ...AGG_BASE, estimator: new FakeEstimator(), totalGpus: 8 });
    const best = result.best!;
    expect(best.mode).toBe('agg');
    const config = best.config as AggConfig;
    expect(config.parallel.tp).toBe(1);
    expect(config.batchSize).toBe(4);
    expect(best.tokensPerSPerGpu).toBeCloseTo(4000 / 14, 9);
    expect(best.replicas).toBe(8);
    expect(best.gpusUsed).toBe(8);
    expect(best.totalTokensPerS).toBeCloseTo((8 * 4000) / 14, 9);
    expect(result.topByMode.agg![1]!.tokensPerSPerGpu).toBeLessThanOrEqual(best.tokensPerSPerGpu);
    expect(result.counts.meetingSla).toBe(result.points.filter((p) => p.sla.meets).length);
    expect(result.comparison).toBeUndefined();
  });

  it('stops a batch ladder at the first size that does not fit', () => {
    const estimator = new FakeEstimator({ maxBatchPerGpu: 3 });
    const result = searchDeployments({
      ...AGG_BASE,
      estimator,
      totalGpus: 1,
      parallelSpace: { tpValues: [1], ppValues: [1] },
      batchLadder: [1, 2, 4, 8, 16],
      ctxTokensChoices: [2048, 4096],
    });
    const fitted = estimator.calls.filter((c) => c.kind === 'fits').map((c) => c.batchSize);
    expect(fitted).toEqual([1, 2, 4]);
    const batches = result.points.map((p) => (p.config as AggConfig).batchSize).sort();
    expect(batches).toEqual([1, 1, 2, 2]);
    expect(result.counts.infeasible).toBe(1);
  });

  it('stops climbing once TPOT is past twice its target, unless asked to be exhaustive', () => {
    // TPOT = 10 + b: batch 1 -> 11, 2 -> 12, 4 -> 14 > 2 * 6, so the climb ends at batch 4.
    const base = {
      ...AGG_BASE,
      totalGpus: 1,
      parallelSpace: { tpValues: [1], ppValues: [1] },
      batchLadder: [1, 2, 4, 8, 16],
      sla: { tpotMs: 6 },
    };
    const early = searchDeployments({ ...base, estimator: new FakeEstimator() });
    expect(early.points.map((p) => (p.config as AggConfig).batchSize)).toEqual([1, 2, 4]);
    const all = searchDeployments({ ...base, estimator: new FakeEstimator(), exhaustive: true });
    expect(all.points.map((p) => (p.config as AggConfig).batchSize)).toEqual([1, 2, 4, 8, 16]);
  });

  it('climbs power-of-two rungs, then fills in only where the SLA boundary lies', () => {
    // TPOT = 10 + b <= 19: coarse rungs 1, 2, 4, 8 meet, 16 does not; only 10 and 12 lie between.
    const base = {
      ...AGG_BASE,
      totalGpus: 1,
      parallelSpace: { tpValues: [1], ppValues: [1] },
      batchLadder: [1, 2, 3, 4, 6, 8, 10, 12, 16],
      sla: { tpotMs: 19 },
    };
    const quick = searchDeployments({ ...base, estimator: new FakeEstimator() });
    expect(quick.points.map((p) => (p.config as AggConfig).batchSize)).toEqual([1, 2, 4, 8, 16, 10, 12]);
    expect((quick.best!.config as AggConfig).batchSize).toBe(8);
    const full = searchDeployments({ ...base, estimator: new FakeEstimator(), exhaustive: true });
    expect(full.points).toHaveLength(9);
    expect((full.best!.config as AggConfig).batchSize).toBe(8);
  });

  it('tries other context budgets only on layouts that reach the front or the top N', () => {
    const base = { ...AGG_BASE, totalGpus: 8, ctxTokensChoices: [2048, 4096], topN: 1 };
    const quick = searchDeployments({ ...base, estimator: new FakeEstimator() });
    const layoutsAt = (r: typeof quick, ctx: number) =>
      new Set(
        r.points
          .filter((p) => (p.config as AggConfig).ctxTokens === ctx)
          .map((p) => (p.config as AggConfig).parallel.tp),
      );
    const promising = new Set(
      [...quick.paretoByMode.agg!, quick.best!].map((p) => (p.config as AggConfig).parallel.tp),
    );
    expect(layoutsAt(quick, 4096)).toEqual(new Set([1, 2, 4, 8]));
    expect(layoutsAt(quick, 2048)).toEqual(promising);
    const full = searchDeployments({ ...base, estimator: new FakeEstimator(), exhaustive: true });
    expect(layoutsAt(full, 2048)).toEqual(new Set([1, 2, 4, 8]));
  });

  it('climbs the ladder per attention-DP rank', () => {
    const result = searchDeployments({
      ...AGG_BASE,
      estimator: new FakeEstimator({ isMoe: true }),
      totalGpus: 2,
      parallelSpace: { isMoe: true, tpValues: [1], ppValues: [1], attentionDpValues: [2] },
      batchLadder: [1, 2],
      sla: {},
      exhaustive: true,
    });
    const batches = result.points.map((p) => (p.config as AggConfig).batchSize);
    expect([...new Set(batches)].sort()).toEqual([2, 4]);
  });

  it('explains when nothing meets the SLA: counts per constraint and the closest points', () => {
    const result = searchDeployments({
      ...AGG_BASE,
      estimator: new FakeEstimator(),
      totalGpus: 2,
      parallelSpace: { tpValues: [1, 2], ppValues: [1] },
      batchLadder: [1, 2],
      sla: { ttftMs: 1000, tpotMs: 5 },
    });
    expect(result.best).toBeUndefined();
    expect(result.counts.meetingSla).toBe(0);
    expect(result.failures.failedByConstraint).toEqual({
      tpot: result.points.length,
      ttft: 0,
      requestLatency: 0,
    });
    const closest = result.failures.closest;
    expect(closest.length).toBeGreaterThan(0);
    // Smallest TPOT is tp1 batch 1: 11 ms, a violation of 11 / 5 - 1.
    expect(closest[0]!.metrics.tpotMs).toBe(11);
    expect(closest[0]!.sla.violation).toBeCloseTo(1.2, 12);
    for (let i = 1; i < closest.length; i++) {
      expect(closest[i]!.sla.violation).toBeGreaterThanOrEqual(closest[i - 1]!.sla.violation);
    }
  });

  it('ranks by cost per million tokens with a GPU-hour price', () => {
    const result = searchDeployments({
      ...AGG_BASE,
      estimator: new FakeEstimator(),
      totalGpus: 8,
      objective: 'cost',
      gpuHourUsd: 2,
    });
    // tp1 b4: one GPU, 4000/14 tok/s: $2 per hour / (285.7 tok/s * 3600 s) * 1e6.
    expect(result.best!.costPerMTokensUsd).toBeCloseTo((2 / ((4000 / 14) * 3600)) * 1e6, 9);
    expect(objectiveScore(result.best!, 'cost')).toBeLessThan(0);
  });

  it('refuses objectives it cannot compute', () => {
    const base = { ...AGG_BASE, estimator: new FakeEstimator(), totalGpus: 2 };
    expect(() => searchDeployments({ ...base, objective: 'cost' })).toThrow(UsageError);
    expect(() => searchDeployments({ ...base, objective: 'energy' })).toThrow(/power/);
    const withPower = searchDeployments({
      ...base,
      estimator: new FakeEstimator({ powerWPerGpu: 500 }),
      objective: 'energy',
    });
    // Energy per token = 500 W * g / tokens/s: lowest at tp1 b4 as well.
    expect(withPower.best!.energyJPerToken).toBeCloseTo(500 / (4000 / 14), 9);
  });

  it('reports progress up to its total', () => {
    const seen: [number, number][] = [];
    searchDeployments({
      ...AGG_BASE,
      estimator: new FakeEstimator(),
      totalGpus: 8,
      onProgress: (d, t) => seen.push([d, t]),
    });
    expect(seen.length).toBe(4);
    expect(seen.at(-1)).toEqual([4, 4]);
  });

  it('rejects a bad budget or target with a usage error', () => {
    expect(() => searchDeployments({ ...AGG_BASE, estimator: new FakeEstimator(), totalGpus: 0 })).toThrow(
      UsageError,
    );
    expect(() =>
      searchDeployments({ ...AGG_BASE, estimator: new FakeEstimator(), totalGpus: 1, sla: { tpotMs: -1 } }),
    ).toThrow(/TPOT/);
  });
});

describe('searchDeployments: disaggregated', () => {
  // Prefill tp1 batch 1: TTFT 100 ms, P = 10 req/s. Decode tp1 batch 8: TPOT 18 ms,
  // D = 8000 / (18 * 100) = 4.444 req/s. Per GPU: min(10x, 4.444y) * 101 / (x + y); within 5 GPUs
  // the ratios near balance are 1:1 (224.4), 1:2 (299.3), 1:3 (252.5), 2:3 (269.3), 1:4 (202).
  const disagg = () =>
    searchDeployments({
      estimator: new FakeEstimator(),
      totalGpus: 5,
      workload: WORKLOAD,
      modes: ['disagg'],
      sla: { ttftMs: 1000, tpotMs: 50 },
      parallelSpace: { tpValues: [1], ppValues: [1] },
      prefillBatchLadder: [1],
      batchLadder: [8],
    });

  it('rate-matches prefill and decode workers (hand-computed)', () => {
    const result = disagg();
    const ratios = result.points.map((p) => {
      const c = p.config as DisaggConfig;
      return `${c.prefill.workers}:${c.decode.workers}`;
    });
    expect(ratios.sort()).toEqual(['1:1', '1:2', '1:3', '1:4', '2:3']);
    const best = result.best!;
    const c = best.config as DisaggConfig;
    expect([c.prefill.workers, c.decode.workers]).toEqual([1, 2]);
    const requestsPerS = Math.min(10, 2 * (8000 / 1800));
    expect(best.metrics.requestsPerS).toBeCloseTo(requestsPerS, 9);
    expect(best.gpusPerReplica).toBe(3);
    expect(best.tokensPerSPerGpu).toBeCloseTo((requestsPerS * 101) / 3, 9);
  });

  it('counts only GPUs that whole replicas use', () => {
    const best = disagg().best!;
    // A 3-GPU replica fits once in 5 GPUs: 2 GPUs idle and not counted.
    expect(best.replicas).toBe(1);
    expect(best.gpusUsed).toBe(3);
    expect(best.totalTokensPerS).toBeCloseTo(best.metrics.tokensPerS, 9);
  });

  it('sizes decode workers with the decode estimator (heterogeneous systems)', () => {
    const prefillSide = new FakeEstimator();
    const decodeSide = new FakeEstimator();
    searchDeployments({
      estimator: prefillSide,
      decodeEstimator: decodeSide,
      totalGpus: 4,
      workload: WORKLOAD,
      modes: ['disagg'],
      sla: { ttftMs: 1000, tpotMs: 50 },
      parallelSpace: { tpValues: [1], ppValues: [1] },
    });
    expect(decodeSide.calls.some((c) => c.role === 'decode')).toBe(true);
    expect(prefillSide.calls.some((c) => c.role === 'decode')).toBe(false);
    // The whole replica is estimated by the primary estimator, which knows both systems.
    expect(prefillSide.calls.some((c) => c.mode === 'disagg')).toBe(true);
    expect(decodeSide.calls.some((c) => c.mode === 'disagg')).toBe(false);
  });

  it('compares agg and disagg and states the ratio', () => {
    const result = searchDeployments({
      estimator: new FakeEstimator(),
      totalGpus: 8,
      workload: WORKLOAD,
      sla: { ttftMs: 1000, tpotMs: 20 },
      parallelSpace: { tpValues: [1, 2], ppValues: [1] },
      batchLadder: [1, 2, 4, 8],
    });
    const agg = result.topByMode.agg![0]!;
    const dis = result.topByMode.disagg![0]!;
    const [winner, loser] = agg.tokensPerSPerGpu >= dis.tokensPerSPerGpu ? [agg, dis] : [dis, agg];
    expect(result.best).toBe(winner);
    expect(result.comparison!.bestMode).toBe(winner.mode);
    expect(result.comparison!.ratio).toBeCloseTo(winner.tokensPerSPerGpu / loser.tokensPerSPerGpu, 9);
    expect(result.paretoByMode.agg!.length).toBeGreaterThan(0);
    expect(result.paretoByMode.disagg!.length).toBeGreaterThan(0);
  });
});

describe('candidate helpers', () => {
  it('feasibleBatches stops at the first refusal even if a later size would pass', () => {
    expect(feasibleBatches([1, 2, 4, 8], (b) => b !== 4)).toEqual([1, 2]);
  });

  it('scaleToBudget runs whole replicas only', () => {
    const metrics = metricsOf(100, 20, 600, 3, WORKLOAD, 8);
    const config: AggConfig = {
      mode: 'agg',
      parallel: { tp: 1, pp: 3, attentionDp: 1, moeTp: 1, moeEp: 1 },
      batchSize: 8,
      ctxTokens: 4096,
    };
    const p = scaleToBudget(config, metrics, 8, {})!;
    expect(p.replicas).toBe(2);
    expect(p.gpusUsed).toBe(6);
    expect(p.totalTokensPerS).toBe(1200);
    expect(p.tokensPerSPerGpu).toBe(200);
    expect(scaleToBudget(config, metrics, 2, {})).toBeUndefined();
  });

  it('enumerates MoE layouts with tp * dp = moe tp * moe ep', () => {
    const { layouts } = enumerateParallel(new FakeEstimator({ isMoe: true }), 4, WORKLOAD, {
      isMoe: true,
      tpValues: [1, 2],
      ppValues: [1],
    });
    expect(layouts.length).toBe(11);
    for (const p of layouts) expect(p.tp * p.attentionDp).toBe(p.moeTp * p.moeEp);
    expect(layouts).toContainEqual({ tp: 2, pp: 1, attentionDp: 2, moeTp: 1, moeEp: 4 });
  });

  it('spreads tp across nodes only when nothing within a node fits', () => {
    const huge = enumerateParallel(new FakeEstimator({ minGpusToFit: 16 }), 32, WORKLOAD, { ppValues: [1] });
    expect(huge.layouts.map((p) => p.tp)).toEqual([1, 2, 4, 8, 16, 32]);
    const small = enumerateParallel(new FakeEstimator(), 32, WORKLOAD, { ppValues: [1] });
    expect(small.layouts.map((p) => p.tp)).toEqual([1, 2, 4, 8]);
  });

  it('skips layouts the estimator rejects and counts them', () => {
    const r = enumerateParallel(new FakeEstimator({ maxTp: 2 }), 8, WORKLOAD, { ppValues: [1] });
    expect(r.layouts.map((p) => p.tp)).toEqual([1, 2]);
    expect(r.rejected).toBe(2);
  });
});

describe('ranking', () => {
  it('breaks a throughput tie in favour of the shorter TTFT', () => {
    const point = (ttftMs: number): EvaluatedPoint => {
      const metrics = metricsOf(ttftMs, 27, 12_000, 6, WORKLOAD, 150);
      return {
        mode: 'agg',
        config: {
          mode: 'agg',
          parallel: { tp: 1, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1 },
          batchSize: 8,
          ctxTokens: 8192,
        },
        metrics,
        replicas: 1,
        gpusPerReplica: 6,
        gpusUsed: 6,
        totalTokensPerS: 12_000,
        tokensPerSPerGpu: 2000,
        tokensPerSPerUser: metrics.tokensPerSPerUser,
        sla: { meets: true, failed: [], advisoryFailed: [], violation: 0 },
      };
    };
    const ranked = [point(1600), point(180), point(800)].sort((a, b) =>
      compareByObjective(a, b, 'tokens-per-gpu'),
    );
    expect(ranked.map((p) => p.metrics.ttftMs)).toEqual([180, 800, 1600]);
  });
});
