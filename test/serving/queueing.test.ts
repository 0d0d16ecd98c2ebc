import { describe, expect, it } from 'vitest';
import { erlangC, meanWaitMdc } from '../../src/serving/queueing.js';

describe('erlangC', () => {
  it('matches hand-computed values', () => {
    expect(erlangC(1, 0.5)).toBeCloseTo(0.5); // M/M/1: P(wait) = rho
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3);
    expect(erlangC(4, 0)).toBe(0);
    expect(erlangC(4, 4)).toBe(1);
  });

  it('M/D/1 wait is half the M/M/1 wait', () => {
    // M/M/1, rho 0.5, service 10: Wq = rho/(1-rho) * S = 10; deterministic service halves it.
    expect(meanWaitMdc(1, 0.05, 10)).toBeCloseTo(5);
    expect(meanWaitMdc(1, 0.1, 10)).toBe(Infinity);
  });
});
