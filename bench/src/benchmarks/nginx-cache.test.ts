import { describe, expect, it } from 'vitest';
import { summariseBatchedSeries, summariseSeries, type BatchedSeriesRun, type CacheVariant, type SeriesRun } from './nginx-cache.ts';

const run = (round: number, variant: CacheVariant, loadMs: number[], cpu: { nginx: number; orthanc: number; gate: number }, valid = true): SeriesRun => ({
  round,
  variant,
  loadAverage1m: 1,
  loadMs,
  frames: 100,
  bytes: 20_000_000,
  cpuMsPerSeries: { ...cpu, pipe: 0 },
  cacheStatus: variant === 'cached' ? { HIT: 300 } : variant === 'uncached' ? { BYPASS: 300 } : {},
  valid,
});

describe('a whole series through the cache', () => {
  it('compares each round’s gated loads with its direct ones, counting the CPU of the parts on each path', () => {
    const summary = summariseSeries(
      [
        run(1, 'direct', [1000, 1200, 1100], { nginx: 80, orthanc: 200, gate: 50 }),
        run(1, 'cached', [1500, 1400, 1600], { nginx: 40, orthanc: 30, gate: 200 }),
        run(1, 'uncached', [2000, 2200, 2100], { nginx: 70, orthanc: 230, gate: 300 }),
        run(2, 'direct', [900, 900, 900], { nginx: 70, orthanc: 200, gate: 60 }),
        run(2, 'cached', [1800, 1800, 1800], { nginx: 30, orthanc: 20, gate: 220 }),
        run(2, 'uncached', [1, 1, 1], { nginx: 1, orthanc: 1, gate: 1 }, false),
      ],
      100,
    );
    // The gate's CPU is not on the direct path: its background work is left out there.
    expect(summary.cpuMs.direct).toBe(275);
    expect(summary.gateCpuMs.direct).toBe(0);
    expect(summary.cpuMs.cached).toBe(270);
    // Round 1: 1500 ÷ 1100 and 270 ÷ 280; round 2: 1800 ÷ 900 and 270 ÷ 270; medians of the two.
    expect(summary.timeRatioCachedToDirect).toBeCloseTo((1500 / 1100 + 2) / 2, 3);
    expect(summary.cpuRatioCachedToDirect).toBeCloseTo((270 / 280 + 1) / 2, 3);
    // An invalid run counts nowhere.
    expect(summary.loadMs.uncached).toBe(2100);
    expect(summary.rounds).toBe(1);
    expect(summary.hitRatio).toBe(1);
  });
});

const batch = (round: number, variant: 'gated' | 'direct', loadMs: number[], cpu: { nginx: number; orthanc: number; gate: number }, valid = true): BatchedSeriesRun => ({
  ...run(round, 'direct', loadMs, cpu, valid),
  variant,
  instances: 100,
});

describe('a whole series in one series retrieval', () => {
  it('compares each round’s gated retrieval with the direct one, the gate counted only on its own path', () => {
    const summary = summariseBatchedSeries(
      [
        batch(1, 'direct', [100, 120, 110], { nginx: 8, orthanc: 40, gate: 5 }),
        batch(1, 'gated', [130, 140, 150], { nginx: 8, orthanc: 40, gate: 2 }),
        batch(2, 'gated', [200, 200, 200], { nginx: 10, orthanc: 40, gate: 2 }),
        batch(2, 'direct', [100, 100, 100], { nginx: 10, orthanc: 40, gate: 9 }),
        batch(3, 'gated', [1, 1, 1], { nginx: 1, orthanc: 1, gate: 1 }, false),
      ],
      100,
    );
    expect(summary.loadMs).toEqual({ gated: 170, direct: 105 });
    expect(summary.cpuMs).toEqual({ gated: 51, direct: 49 });
    expect(summary.gateCpuMs).toBe(2);
    // Round 1: 140 ÷ 110 and 50 ÷ 48; round 2: 200 ÷ 100 and 52 ÷ 50; the invalid round counts nowhere.
    expect(summary.timeRatioGatedToDirect).toBeCloseTo((140 / 110 + 2) / 2, 3);
    expect(summary.cpuRatioGatedToDirect).toBeCloseTo((50 / 48 + 52 / 50) / 2, 3);
    expect(summary.rounds).toBe(2);
  });
});
