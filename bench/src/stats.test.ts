import { describe, expect, it } from 'vitest';
import { median, percentile, summariseLatencies } from './stats.ts';

describe('statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99.9)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('finds the median of unsorted values, the mean of the middle two for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([464, 1015])).toBe(739.5);
    expect(median([])).toBeNaN();
  });

  it('summarises latencies', () => {
    expect(summariseLatencies([4, 1, 3, 2])).toEqual({ p50: 2, p90: 4, p99: 4, p999: 4, max: 4, mean: 2.5 });
  });
});
