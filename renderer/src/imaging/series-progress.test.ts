import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PROGRESS_INTERVAL_MS, SeriesProgressTracker, type SeriesProgress } from './series-progress.ts';

const imageIds = (series: string, count: number) => Array.from({ length: count }, (_, i) => `wadors:${series}/${i + 1}`);
const A = imageIds('a', 5);
const B = imageIds('b', 3);

function tracker() {
  const published: Array<[string, SeriesProgress]> = [];
  const progress = new SeriesProgressTracker({ publish: (series, counts) => published.push([series, counts]) });
  return { progress, published };
}

describe('SeriesProgressTracker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('publishes a registered series at once, counting the images already loaded', () => {
    const { progress, published } = tracker();
    progress.register('a', A, (id) => id === A[0] || id === A[3]);
    expect(published).toEqual([['a', { loaded: 2, failed: 0, total: 5 }]]);
    expect(progress.seriesOf(A[4]!)).toBe('a');
    expect(progress.seriesOf('wadors:other/1')).toBeUndefined();
    expect(progress.progress('unknown')).toBeNull();
  });

  it('counts loaded and failed images per series and ignores images of no registered series', () => {
    const { progress } = tracker();
    progress.register('a', A);
    progress.register('b', B);
    expect(progress.imageLoaded(A[0]!)).toBe('a');
    expect(progress.imageLoaded(A[1]!)).toBe('a');
    expect(progress.imageFailed(A[2]!)).toBe('a');
    expect(progress.imageLoaded(B[0]!)).toBe('b');
    expect(progress.imageLoaded('wadors:other/1')).toBeUndefined();
    expect(progress.imageFailed('wadors:other/2')).toBeUndefined();
    // The same image reported twice counts once.
    progress.imageLoaded(A[0]!);
    expect(progress.progress('a')).toEqual({ loaded: 2, failed: 1, total: 5 });
    expect(progress.progress('b')).toEqual({ loaded: 1, failed: 0, total: 3 });
  });

  it('forgets an image\'s failure once it loads (a retry that worked)', () => {
    const { progress } = tracker();
    progress.register('a', A);
    progress.imageFailed(A[0]!);
    progress.imageLoaded(A[0]!);
    expect(progress.progress('a')).toEqual({ loaded: 1, failed: 0, total: 5 });
  });

  it('publishes an unfinished load at most every 100 ms, all series that changed together', () => {
    const { progress, published } = tracker();
    progress.register('a', A);
    progress.register('b', B);
    published.length = 0;

    progress.imageLoaded(A[0]!);
    progress.imageLoaded(B[0]!);
    vi.advanceTimersByTime(PROGRESS_INTERVAL_MS - 1);
    progress.imageLoaded(A[1]!);
    expect(published).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(published).toEqual([
      ['a', { loaded: 2, failed: 0, total: 5 }],
      ['b', { loaded: 1, failed: 0, total: 3 }],
    ]);

    // The next load waits for its own interval; nothing is published without a change.
    published.length = 0;
    progress.imageLoaded(A[2]!);
    vi.advanceTimersByTime(PROGRESS_INTERVAL_MS - 1);
    expect(published).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(published).toEqual([['a', { loaded: 3, failed: 0, total: 5 }]]);
    vi.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
    expect(published).toHaveLength(1);
  });

  it('publishes many loads in a burst as one update per interval', () => {
    const { progress, published } = tracker();
    const many = imageIds('m', 200);
    progress.register('m', many);
    published.length = 0;
    // 199 loads over 995 ms, one every 5 ms: ten publications, not 199.
    for (const id of many.slice(0, 199)) {
      progress.imageLoaded(id);
      vi.advanceTimersByTime(5);
    }
    vi.advanceTimersByTime(PROGRESS_INTERVAL_MS);
    expect(published.length).toBeLessThanOrEqual(10);
    expect(published.at(-1)).toEqual(['m', { loaded: 199, failed: 0, total: 200 }]);
  });

  it('publishes the load that completes a series at once, and a failure at once', () => {
    const { progress, published } = tracker();
    progress.register('b', B);
    progress.imageLoaded(B[0]!);
    progress.imageFailed(B[1]!);
    expect(published.at(-1)).toEqual(['b', { loaded: 1, failed: 1, total: 3 }]);
    progress.imageLoaded(B[2]!);
    // Loaded + failed cover the series: complete, published without waiting.
    expect(published.at(-1)).toEqual(['b', { loaded: 2, failed: 1, total: 3 }]);
    // The pending publication of the first load was folded into these; none follows.
    const count = published.length;
    vi.advanceTimersByTime(PROGRESS_INTERVAL_MS);
    expect(published).toHaveLength(count);
  });

  it('reports a series complete when every image loaded', () => {
    const { progress, published } = tracker();
    progress.register('b', B);
    for (const id of B) progress.imageLoaded(id);
    expect(published.at(-1)).toEqual(['b', { loaded: 3, failed: 0, total: 3 }]);
  });

  it('starts counting afresh when a series is registered again, and clears failures for a retry', () => {
    const { progress, published } = tracker();
    progress.register('a', A);
    progress.imageLoaded(A[0]!);
    progress.imageFailed(A[1]!);
    progress.register('a', A.slice(0, 4), (id) => id === A[2]);
    expect(published.at(-1)).toEqual(['a', { loaded: 1, failed: 0, total: 4 }]);

    progress.imageFailed(A[3]!);
    progress.clearFailures('a');
    expect(published.at(-1)).toEqual(['a', { loaded: 1, failed: 0, total: 4 }]);
    // Nothing to clear: nothing published.
    const count = published.length;
    progress.clearFailures('a');
    expect(published).toHaveLength(count);
  });

  it('says at once how many images are asked for again and why, until each loads or fails for good', () => {
    const { progress, published } = tracker();
    progress.register('b', B);
    progress.imageRetrying(B[0]!, 'no answer in time');
    expect(published.at(-1)).toEqual(['b', { loaded: 0, failed: 0, total: 3, retrying: { images: 1, reason: 'no answer in time' } }]);
    progress.imageRetrying(B[1]!, 'the server answered 502');
    expect(published.at(-1)).toEqual(['b', { loaded: 0, failed: 0, total: 3, retrying: { images: 2, reason: 'the server answered 502' } }]);
    progress.imageLoaded(B[1]!);
    expect(progress.progress('b')).toEqual({ loaded: 1, failed: 0, total: 3, retrying: { images: 1, reason: 'no answer in time' } });
    progress.imageFailed(B[0]!);
    expect(published.at(-1)).toEqual(['b', { loaded: 1, failed: 1, total: 3 }]);
    expect(published.at(-1)?.[1]).not.toHaveProperty('retrying');
  });

  it('publishes nothing after dispose', () => {
    const { progress, published } = tracker();
    progress.register('a', A);
    published.length = 0;
    progress.imageLoaded(A[0]!);
    progress.dispose();
    vi.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
    expect(published).toEqual([]);
  });
});
