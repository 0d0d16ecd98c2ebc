import { describe, expect, it } from 'vitest';
import { checkSla } from '../../src/search/index.js';
import { metricsOf, WORKLOAD } from './fake-estimator.js';

// TTFT 500 ms, TPOT 20 ms, osl 101: request latency 500 + 20 * 100 = 2500 ms.
const m = metricsOf(500, 20, 1000, 1, WORKLOAD, 1);

describe('checkSla', () => {
  it('request latency is TTFT + TPOT * (osl - 1)', () => {
    expect(m.requestLatencyMs).toBe(2500);
  });

  it('default mode enforces TTFT and TPOT; request latency is advisory', () => {
    const v = checkSla(m, { ttftMs: 600, tpotMs: 25, requestLatencyMs: 2000 });
    expect(v.meets).toBe(true);
    expect(v.failed).toEqual([]);
    expect(v.advisoryFailed).toEqual(['requestLatency']);
    expect(v.violation).toBe(0);
  });

  it('strict mode enforces every given target', () => {
    const v = checkSla(m, { ttftMs: 600, tpotMs: 25, requestLatencyMs: 2000, strict: true });
    expect(v.meets).toBe(false);
    expect(v.failed).toEqual(['requestLatency']);
    expect(v.violation).toBeCloseTo(0.25, 12);
  });

  it('sums normalised violations of the enforced constraints', () => {
    const v = checkSla(m, { ttftMs: 250, tpotMs: 10 });
    expect(v.failed).toEqual(['ttft', 'tpot']);
    expect(v.violation).toBeCloseTo(1 + 1, 12);
  });

  it('a target equal to the metric is met, absent targets are not checked', () => {
    expect(checkSla(m, { ttftMs: 500, tpotMs: 20 }).meets).toBe(true);
    expect(checkSla(m, {}).meets).toBe(true);
  });
});
