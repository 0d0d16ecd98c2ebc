import { describe, expect, it } from 'vitest';
import { mean, median, percentile } from '../../src/common/index.js';

describe('summary statistics', () => {
  it('median: the middle value, or the mean of the two middle ones, without reordering the input', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('percentile: nearest rank', () => {
    const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(percentile(ten, 0.9)).toBe(9);
    expect(percentile(ten, 1)).toBe(10);
    expect(percentile([7], 0.9)).toBe(7);
  });

  it('mean; every statistic of an empty list is NaN', () => {
    expect(mean([1, 2, 6])).toBe(3);
    for (const f of [mean, median, (v: number[]) => percentile(v, 0.9)]) expect(f([])).toBeNaN();
  });
});
