import { describe, expect, it } from 'vitest';
import { decodeFloor, describeDecode, pageCpuMs, summariseDecode, summariseOpenings, type StudyOpening } from './viewer.ts';

describe('decode time per frame', () => {
  it('summarises per-frame decode times as median and nearest-rank p90', () => {
    const decodeMs = [30, 10, 20, 40, 50, 60, 70, 80, 90, 100];
    expect(summariseDecode(decodeMs)).toEqual({ frames: 10, medianMs: 55, p90Ms: 90 });
  });

  it('reports nothing when the viewer gave no figures', () => {
    expect(summariseDecode([])).toBeNull();
    expect(describeDecode(null)).toBe('not reported');
  });
});

describe('decode-time floor', () => {
  it('divides the summed decode times by the workers that run at once', () => {
    expect(decodeFloor([30, 30, 30, 30], 2, 2)).toBe(60);
    expect(decodeFloor([10, 20, 30], 3, 8)).toBe(20);
  });

  it('counts at most one worker per core', () => {
    expect(decodeFloor([40, 40, 40, 40], 8, 2)).toBe(80);
  });

  it('has no floor without decode times or workers', () => {
    expect(decodeFloor([], 2, 2)).toBeNull();
    expect(decodeFloor([30], 0, 2)).toBeNull();
  });
});

describe('openings summarised', () => {
  const opening = (seriesDecodedMs: number, decodeMs: number[], decodeFloorMs: number | null, mainThreadMsPerSlice: number): StudyOpening => ({
    firstImageMs: seriesDecodedMs / 10,
    firstPreviewMs: seriesDecodedMs === 300 ? null : seriesDecodedMs / 20,
    seriesDecodedMs,
    slices: 4,
    frameRequests: 4,
    lastFrameResponseMs: 0,
    lastMetadataResponseMs: 0,
    firstFrameRequestMs: 0,
    firstFrameResponseMs: 0,
    shownFrameRequestMs: 0,
    shownFrameResponseMs: 0,
    decodeMs,
    decode: summariseDecode(decodeMs),
    decodeWorkers: 2,
    cores: 2,
    decodeFloorMs,
    shownToFloor: decodeFloorMs === null ? null : seriesDecodedMs / decodeFloorMs,
    mainThreadMs: mainThreadMsPerSlice * 4,
    mainThreadMsPerSlice,
    mainThreadCpuMsPerSlice: mainThreadMsPerSlice / 2,
    workerCpuMsPerSlice: null,
  });

  it('takes the median of each figure, and of the ratio to the floor per opening', () => {
    const summary = summariseOpenings([opening(100, [20, 20, 20, 20], 40, 1), opening(300, [50, 50, 50, 50], 100, 3), opening(200, [30, 30, 30, 30], 60, 2)]);
    // The preview's median is over the openings that drew one (5 and 10 ms).
    expect(summary.firstPreviewMs).toBe(8);
    expect(summary).toMatchObject({ firstImageMs: 20, seriesDecodedMs: 200, msPerSlice: 50, decodeFloorMs: 60, mainThreadMsPerSlice: 2, mainThreadCpuMsPerSlice: 1 });
    expect(summary.workerCpuMsPerSlice).toBeNull();
    // Ratios 2.5, 3 and 3.33: their median, not the ratio of the medians (200 / 60).
    expect(summary.shownToFloor).toBe(3);
    expect(summary.decode).toEqual({ frames: 12, medianMs: 30, p90Ms: 50 });
  });

  it('has no floor when the viewer reported no decode times', () => {
    const summary = summariseOpenings([opening(100, [], null, 1)]);
    expect(summary.decodeFloorMs).toBeNull();
    expect(summary.shownToFloor).toBeNull();
  });
});

describe('the page\'s CPU from its renderer\'s threads', () => {
  type Snapshot = Map<number, Map<number, { name: string; seconds: number }>>;
  const snapshot = (processes: Record<number, Array<[number, string, number]>>): Snapshot =>
    new Map(Object.entries(processes).map(([pid, list]) => [Number(pid), new Map(list.map(([tid, name, seconds]) => [tid, { name, seconds }]))]));

  it('takes the renderer that runs dedicated workers: its main thread and its workers, between the snapshots', () => {
    const before = snapshot({ 10: [[10, 'chromium', 1]], 20: [[20, 'chromium', 5], [21, 'Compositor', 1], [22, 'DedicatedWorker', 2]] });
    const after = snapshot({
      10: [[10, 'chromium', 9]],
      20: [[20, 'chromium', 5.5], [21, 'Compositor', 3], [22, 'DedicatedWorker', 4], [23, 'DedicatedWorker', 1.5]],
    });
    const cpu = pageCpuMs(before, after);
    // Main: 0.5 s; workers: 2 s of the one that was there and 1.5 s of the one started since.
    expect(cpu?.mainMs).toBeCloseTo(500);
    expect(cpu?.workersMs).toBeCloseTo(3500);
  });

  it('counts a renderer that started during the opening from zero', () => {
    const after = snapshot({ 30: [[30, 'chromium', 0.25], [31, 'DedicatedWorker', 0.5]] });
    expect(pageCpuMs(new Map(), after)).toEqual({ mainMs: 250, workersMs: 500 });
  });

  it('gives nothing when no renderer, or more than one, runs workers', () => {
    expect(pageCpuMs(new Map(), snapshot({ 10: [[10, 'chromium', 1]] }))).toBeNull();
    expect(pageCpuMs(new Map(), snapshot({ 10: [[11, 'DedicatedWorker', 1]], 20: [[21, 'DedicatedWorker', 1]] }))).toBeNull();
  });
});
