import { describe, expect, it } from 'vitest';
import { simulateDisagg } from '../../src/serving/disagg-simulation.js';

const base = { prefillMs: 1, afterPrefillMs: 100, lengthRatio: 1 };

describe('closed-loop disaggregated simulation', () => {
  it('queues the opening burst of all clients at the prefill slots', () => {
    // One slot, one wave: the k-th client waits k prefills; mean (c - 1) / 2.
    const once = simulateDisagg({ ...base, clients: 8, prefillSlots: 1, totalRequests: 8 });
    expect(once.meanPrefillWaitMs).toBeCloseTo(3.5, 12);
    // Two slots halve it (pairs wait 0, 1, 2, 3 prefills).
    const twoSlots = simulateDisagg({ ...base, clients: 8, prefillSlots: 2, totalRequests: 8 });
    expect(twoSlots.meanPrefillWaitMs).toBeCloseTo(1.5, 12);
    // As many slots as clients: nobody waits.
    expect(
      simulateDisagg({ ...base, clients: 8, prefillSlots: 8, totalRequests: 80 }).meanPrefillWaitMs,
    ).toBe(0);
  });

  it('keeps the stagger the burst leaves, so later waves of a light load do not wait', () => {
    // 4 clients wait 0, 1, 2, 3 ms once; their next requests arrive 1 ms apart and go straight in.
    const r = simulateDisagg({ ...base, clients: 4, prefillSlots: 1, totalRequests: 40 });
    expect(r.meanPrefillWaitMs).toBeCloseTo(6 / 40, 12);
  });

  it('waits behind every other client when prefill is the bottleneck', () => {
    // Decoding takes no time: each client is back at once and finds the other three queued.
    const r = simulateDisagg({
      ...base,
      afterPrefillMs: 0,
      clients: 4,
      prefillSlots: 1,
      totalRequests: 4000,
    });
    expect(r.meanPrefillWaitMs).toBeGreaterThan(2.99);
    expect(r.meanPrefillWaitMs).toBeLessThanOrEqual(3);
  });

  it('varies output lengths reproducibly from the seed', () => {
    const input = { ...base, clients: 16, prefillSlots: 2, totalRequests: 160, lengthRatio: 0.5 };
    expect(simulateDisagg(input)).toEqual(simulateDisagg(input));
    expect(simulateDisagg({ ...input, seed: 2 }).meanPrefillWaitMs).not.toBe(
      simulateDisagg(input).meanPrefillWaitMs,
    );
  });
});
