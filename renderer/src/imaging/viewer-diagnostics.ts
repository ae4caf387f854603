/**
 * TEST / DIAGNOSTIC HOOK — `window.__readingStationViewer`.
 *
 * The end-to-end tests (and a support engineer in DevTools) read what the viewer shows without
 * scraping pixels off a canvas: which slice is displayed, how often Cornerstone rendered, the
 * window/level, the stored and modality values of the displayed image at given image positions,
 * and Cornerstone's own load and decode time of each loaded image of the series. It exposes nothing
 * the screen does not already show — in particular no token: the bridge never hands its token to
 * anything but a request header.
 */
import type { ImageLoadTiming, PixelSample, StackViewer } from './stack-viewer.ts';

export interface ReadingStationViewerHook {
  readonly version: 1;
  /**
   * What is on screen; `renderedImageIndex`/`renderCount` advance on Cornerstone's IMAGE_RENDERED.
   * `cine` holds the chosen rate and the rate slices were actually drawn at since cine last started.
   */
  state(): ReturnType<StackViewer['diagnostics']>;
  /** Stored and modality values of the displayed image at (column x, row y); null before the first image. */
  readPixels(points: ReadonlyArray<{ x: number; y: number }>): PixelSample[] | null;
  /** Where image pixel (x, y) is drawn, in CSS pixels from the viewport's top-left corner. */
  canvasPointOf(x: number, y: number): { x: number; y: number } | null;
  /**
   * For each loaded image of the shown series, in series order: Cornerstone's `decodeTimeInMS`
   * (decoding in the web worker, whole milliseconds) and `loadTimeInMS` (request to decoded).
   */
  loadTimings(): ImageLoadTiming[];
}

declare global {
  interface Window {
    __readingStationViewer?: ReadingStationViewerHook;
  }
}

/** Points the hook at this viewer; returns the function that removes it again. */
export function exposeViewerDiagnostics(viewer: StackViewer): () => void {
  const hook: ReadingStationViewerHook = {
    version: 1,
    state: () => viewer.diagnostics(),
    readPixels: (points) => viewer.readPixels(points),
    canvasPointOf: (x, y) => viewer.canvasPointOf(x, y),
    loadTimings: () => viewer.loadTimings(),
  };
  window.__readingStationViewer = hook;
  return () => {
    if (window.__readingStationViewer === hook) delete window.__readingStationViewer;
  };
}
