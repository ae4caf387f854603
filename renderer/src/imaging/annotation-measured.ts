/**
 * Cornerstone measures an annotation (a line's length, say) in a throttled step of its drawing and
 * marks the annotation `invalidated` until that step has run for its handles' last position. A
 * drag's end (ANNOTATION_COMPLETED) can come before it, so what reads the measurement at that
 * moment waits for it: the next ANNOTATION_MODIFIED of the annotation that leaves it measured.
 */

/** Longest wait for the measurement of a line's last position; after it, the one it has is used. */
export const CALIBRATION_MEASURE_WAIT_MS = 1_000;

export interface MeasurableAnnotation {
  annotationUID?: string;
  invalidated?: boolean;
}

/**
 * Resolves once `annotation` is measured where it now is: at once when it is not `invalidated`,
 * else at the first `modifiedEvent` on `target` for it after which it is not, or after `waitMs`.
 */
export function whenMeasured(annotation: MeasurableAnnotation, target: EventTarget, modifiedEvent: string, waitMs: number): Promise<void> {
  if (!annotation.invalidated) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      target.removeEventListener(modifiedEvent, listener);
      resolve();
    };
    const listener = (event: Event): void => {
      const modified = (event as CustomEvent<{ annotation?: MeasurableAnnotation }>).detail?.annotation;
      if (modified?.annotationUID === annotation.annotationUID && !annotation.invalidated) done();
    };
    const timer = setTimeout(done, waitMs);
    target.addEventListener(modifiedEvent, listener);
  });
}
