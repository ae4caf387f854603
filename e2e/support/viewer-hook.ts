/**
 * The shape of the renderer's test/diagnostic hook `window.__readingStationViewer`
 * (renderer/src/imaging/viewer-diagnostics.ts), restated here because the e2e code is type-checked
 * without the browser's DOM types. Used only inside `page.evaluate` callbacks.
 */
export interface ViewerHookState {
  seriesInstanceUid: string | null;
  imageIndex: number;
  imageCount: number;
  /** Advances on Cornerstone's IMAGE_RENDERED. */
  renderedImageIndex: number | null;
  renderCount: number;
  imageId: string | null;
  columns: number | null;
  rows: number | null;
  voi: { windowWidth: number; windowCenter: number } | null;
  zoom: number;
  renderingMode: 'cpu' | 'gpu';
  measurements: Array<{ id: string; kind: 'length' | 'angle' | 'roi'; text: string; imageIndex: number | null }>;
  cine: {
    playing: boolean;
    /** The chosen rate. */
    framesPerSecond: number;
    /** New slices drawn (IMAGE_RENDERED) since cine last started, kept after it stops. */
    framesShown: number;
    /** From the first to the last of those frames. */
    measuredOverMs: number;
    /** The rate they were actually drawn at; null before two frames. */
    framesShownPerSecond: number | null;
    /** A slice cine asked for is still being set (it is drawn even if cine stops meanwhile). */
    frameInFlight: boolean;
  };
}

export interface ViewerHook {
  version: 1;
  state(): ViewerHookState;
  readPixels(points: ReadonlyArray<{ x: number; y: number }>): Array<{ stored: number; modality: number }> | null;
  canvasPointOf(x: number, y: number): { x: number; y: number } | null;
}

/** `globalThis` in the page, as far as these tests use it. */
export interface PageGlobals {
  __readingStationViewer?: ViewerHook;
}
