/**
 * TEST / DIAGNOSTIC HOOK — `window.__readingStationViewer`.
 *
 * The end-to-end tests (and a support engineer in DevTools) read what the viewer shows without
 * scraping pixels off a canvas: which slice is displayed, how often Cornerstone rendered, the
 * window/level, the stored and modality values of the displayed image at given image positions,
 * cine's shown frame rate, and Cornerstone's own load and decode time of each loaded image of the
 * series. It exposes nothing the screen does not already show — in particular no token: the
 * bridge never hands its token to anything but a request header.
 *
 * Its type is the contract's (`ReadingStationViewerHook`), which the e2e tests and the viewer
 * benchmark read it by.
 */
import type { ReadingStationViewerHook } from '@reading-station/contract';
import type { StackViewer } from './stack-viewer.ts';

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
