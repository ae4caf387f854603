import { describe, expect, it } from 'vitest';
import { BROWSER_CONNECTIONS_PER_HOST, decodeWorkerCount, MAX_DECODE_WORKERS, prefetchConcurrency, prefetchOrder } from './load-scheduling.ts';

describe('decode workers', () => {
  it('uses every core but one, and at least two', () => {
    expect(decodeWorkerCount(1)).toBe(2);
    expect(decodeWorkerCount(2)).toBe(2);
    expect(decodeWorkerCount(4)).toBe(3);
    expect(decodeWorkerCount(8)).toBe(7);
  });

  it('stops at the maximum on large machines', () => {
    expect(decodeWorkerCount(64)).toBe(MAX_DECODE_WORKERS);
  });

  it('assumes two when the browser does not say', () => {
    expect(decodeWorkerCount(undefined)).toBe(2);
    expect(decodeWorkerCount(0)).toBe(2);
    expect(decodeWorkerCount(Number.NaN)).toBe(2);
  });
});

describe('prefetch concurrency', () => {
  it("fills the browser's connections to the server and one frame per decode worker", () => {
    expect(prefetchConcurrency(1)).toBe(BROWSER_CONNECTIONS_PER_HOST + 1);
    expect(prefetchConcurrency(2)).toBe(BROWSER_CONNECTIONS_PER_HOST + 2);
    expect(prefetchConcurrency(7)).toBe(BROWSER_CONNECTIONS_PER_HOST + 7);
  });
});

describe('prefetch order', () => {
  it('goes outward from the slice on screen, lower index first at equal distance', () => {
    expect(prefetchOrder(7, 3)).toEqual([2, 4, 1, 5, 0, 6]);
  });

  it('runs to the far end once one end is reached', () => {
    expect(prefetchOrder(5, 0)).toEqual([1, 2, 3, 4]);
    expect(prefetchOrder(5, 4)).toEqual([3, 2, 1, 0]);
    expect(prefetchOrder(6, 1)).toEqual([0, 2, 3, 4, 5]);
  });

  it('covers every slice but the one on screen exactly once', () => {
    const order = prefetchOrder(100, 37);
    expect(order).toHaveLength(99);
    expect(new Set(order).size).toBe(99);
    expect(order).not.toContain(37);
  });

  it('clamps an out-of-range position and handles tiny series', () => {
    expect(prefetchOrder(3, 10)).toEqual([1, 0]);
    expect(prefetchOrder(1, 0)).toEqual([]);
    expect(prefetchOrder(0, 0)).toEqual([]);
  });
});
