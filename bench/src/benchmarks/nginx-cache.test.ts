import { describe, expect, it } from 'vitest';
import { summariseSeries, type CacheVariant, type SeriesRun } from './nginx-cache.ts';

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
