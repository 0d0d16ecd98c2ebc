import { describe, expect, it } from 'vitest';
import { recommendResultJson, renderRecommendation, searchResultJson } from '../../src/report/index.js';
import { recommendDeployment } from '../../src/search/index.js';
import { RECOMMEND_BASE as BASE, FakeEstimator } from '../search/fake-estimator.js';
import { sampleResult } from './report-fixtures.js';

describe('recommend output', () => {
  it('states the GPU count, replica layout and headroom', () => {
    const r = recommendDeployment({ ...BASE, estimator: new FakeEstimator(), target: { requestsPerS: 10 } });
    const text = renderRecommendation(r);
    expect(text).toContain('Load: 10.00 requests/s');
    expect(text).toContain('Use 4 GPUs: 4 x agg replica of 1 GPU');
    expect(text).toContain('tp1, batch 4');
    expect(text).toMatch(/88% used at the target load/);
    expect(text).toContain('Next options:');
    const json = recommendResultJson(r);
    expect((json['recommendation'] as { gpus: number }).gpus).toBe(4);
  });

  it('says when no GPU count works', () => {
    const r = recommendDeployment({
      ...BASE,
      estimator: new FakeEstimator(),
      sla: { tpotMs: 5 },
      target: { concurrency: 4 },
    });
    expect(renderRecommendation(r)).toContain('No configuration meets the SLA');
  });
});

describe('JSON form', () => {
  it('uses snake_case keys with units and leaves the point cloud out unless asked', () => {
    const result = sampleResult();
    const json = searchResultJson(result);
    const best = json['best'] as Record<string, unknown>;
    expect(best['tokens_per_s_per_gpu']).toBe(result.best!.tokensPerSPerGpu);
    expect(best['ttft_ms']).toBe(result.best!.metrics.ttftMs);
    expect(best['ttft_parts_ms']).toEqual({
      serving_stack: 0,
      queue: 0,
      prefill: result.best!.metrics.ttftMs,
      hand_off: 0,
    });
    expect(best['tpot_parts_ms']).toEqual({ decode: result.best!.metrics.tpotMs, prefill_interference: 0 });
    expect(json['points']).toBeUndefined();
    expect((searchResultJson(result, { allPoints: true })['points'] as unknown[]).length).toBe(
      result.points.length,
    );
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
