import { afterEach, describe, expect, it, vi } from 'vitest';
import { whenMeasured, type MeasurableAnnotation } from './annotation-measured.ts';

const MODIFIED = 'ANNOTATION_MODIFIED';
const modified = (annotation: MeasurableAnnotation) => new CustomEvent(MODIFIED, { detail: { annotation } });

/** Whether the promise has settled after the microtasks queued so far. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('whenMeasured', () => {
  afterEach(() => vi.useRealTimers());

  it('resolves at once for an annotation already measured where it is', async () => {
    expect(await settled(whenMeasured({ annotationUID: 'a', invalidated: false }, new EventTarget(), MODIFIED, 1_000))).toBe(true);
  });

  it('waits for the modification that measures the annotation, not for another annotation or a modification that leaves it stale', async () => {
    const target = new EventTarget();
    const line: MeasurableAnnotation = { annotationUID: 'line', invalidated: true };
    const measured = whenMeasured(line, target, MODIFIED, 60_000);
    target.dispatchEvent(modified({ annotationUID: 'other', invalidated: false }));
    expect(await settled(measured)).toBe(false);
    // Handles moved: modified, still to be measured.
    target.dispatchEvent(modified(line));
    expect(await settled(measured)).toBe(false);
    line.invalidated = false;
    target.dispatchEvent(modified(line));
    expect(await settled(measured)).toBe(true);
  });

  it('gives up waiting after the time allowed', async () => {
    vi.useFakeTimers();
    const measured = whenMeasured({ annotationUID: 'line', invalidated: true }, new EventTarget(), MODIFIED, 1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(measured)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(measured)).toBe(true);
  });
});
