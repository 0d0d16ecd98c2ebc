import { describe, expect, it } from 'vitest';
import { recommendDeployment } from '../../src/search/index.js';
import type { AggConfig } from '../../src/serving/index.js';
import { RECOMMEND_BASE as BASE, FakeEstimator } from './fake-estimator.js';

describe('recommendDeployment', () => {
  it('finds the fewest GPUs for a request rate (hand-computed)', () => {
    // tp1 b4 carries 4000/14/101 = 2.83 req/s per GPU: 10 req/s needs 4 replicas (4 GPUs);
    // tp2 b6 carries 4.24 req/s per 2 GPUs: 3 replicas (6 GPUs); tp1 b2 1.65 req/s: 7 GPUs.
    const r = recommendDeployment({ ...BASE, estimator: new FakeEstimator(), target: { requestsPerS: 10 } });
    const rec = r.recommendation!;
    expect(rec.gpus).toBe(4);
    expect(rec.replicas).toBe(4);
    expect((rec.point.config as AggConfig).batchSize).toBe(4);
    expect(rec.capacityPerReplica).toBeCloseTo(4000 / 14 / 101, 9);
    expect(rec.utilisation).toBeCloseTo(10 / (4 * (4000 / 14 / 101)), 9);
    expect(r.alternatives.every((a) => a.gpus > rec.gpus)).toBe(true);
  });

  it('finds the fewest GPUs for a concurrency', () => {
    // 20 requests in flight: tp1 b4 needs 5 replicas (5 GPUs), tp2 b6 4 replicas (8 GPUs).
    const r = recommendDeployment({ ...BASE, estimator: new FakeEstimator(), target: { concurrency: 20 } });
    expect(r.recommendation!.gpus).toBe(5);
    expect((r.recommendation!.point.config as AggConfig).parallel.tp).toBe(1);
  });

  it('has no recommendation when nothing meets the SLA, and says why', () => {
    const r = recommendDeployment({
      ...BASE,
      estimator: new FakeEstimator(),
      sla: { tpotMs: 5 },
      target: { requestsPerS: 1 },
    });
    expect(r.recommendation).toBeUndefined();
    expect(r.search.failures.failedByConstraint.tpot).toBeGreaterThan(0);
  });

  it('refuses a non-positive target', () => {
    expect(() =>
      recommendDeployment({ ...BASE, estimator: new FakeEstimator(), target: { concurrency: 0 } }),
    ).toThrow(/target/);
  });
});
