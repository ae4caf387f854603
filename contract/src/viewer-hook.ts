/**
 * TEST / DIAGNOSTIC HOOK — `window.__readingStationViewer`, set by the renderer's viewer
 * (renderer/src/imaging/viewer-diagnostics.ts) and read by the end-to-end tests and the viewer
 * benchmark inside `page.evaluate`, and by a support engineer in DevTools. It says what the
 * viewer shows without scraping pixels off a canvas, and exposes nothing the screen does not
 * already show: no token ever.
 *
 * Plain data and functions only, and no DOM types, so that Node-side code (Playwright specs, the
 * benchmark) can be type-checked against it.
 */
import type { MeasurementRecord } from './measurements.ts';

/** A measurement as the viewer lists it: its record and the slice (0-based) of the shown series it is on. */
export type ViewerMeasurement = MeasurementRecord & { imageIndex: number | null };

/**
 * A reduced-resolution preview of a study's first image, drawn until the full image is (times in
 * the page's performance.now() milliseconds).
 */
export interface PreviewRecord {
  imageId: string;
  columns: number;
  rows: number;
  fullColumns: number;
  fullRows: number;
  /** When it was put on the page, and the next animation frame after (it is painted right after that). */
  shownAt: number;
  drawnAt: number | null;
  /** When the full image replaced it, or another slice was asked for; null while it is shown. */
  removedAt: number | null;
}

/** What is on screen. */
export interface ViewerHookState {
  seriesInstanceUid: string | null;
  /** The slice asked for (slider, keys, wheel, cine); drawn once it has loaded. */
  imageIndex: number;
  imageCount: number;
  /** The slice drawn: the image of Cornerstone's last IMAGE_RENDERED, which the overlay describes. */
  renderedImageIndex: number | null;
  /** That image's imageId. */
  renderedImageId: string | null;
  /** The slice asked for is not drawn yet (the overlay and the slider say so). */
  loading: boolean;
  renderCount: number;
  /** The image the viewport holds (set just before it is rendered). */
  imageId: string | null;
  columns: number | null;
  rows: number | null;
  voi: { windowWidth: number; windowCenter: number } | null;
  /** The VOI LUT Function the window is applied with (the header's; LINEAR where it names none). */
  voiLutFunction: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';
  zoom: number;
  renderingMode: 'cpu' | 'gpu';
  /** Every measurement of the shown series (of any of its slices), in the order drawn. */
  measurements: ViewerMeasurement[];
  /** The measurement selected (Delete or Backspace deletes it), or null. */
  selectedMeasurementId: string | null;
  /** How the image is shown: grey scale inverted, rotation in degrees clockwise, mirrored. */
  orientation: { invert: boolean; rotation: number; flipHorizontal: boolean; flipVertical: boolean };
  /** The previews drawn on this viewer, oldest first. */
  previews: PreviewRecord[];
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

/**
 * Stored and modality (rescaled, HU for CT) values of one pixel of the displayed image. A colour
 * pixel's values are its red sample's; `samples` holds all of them (R, G, B as decoded, YBR turned
 * into RGB), greyscale its stored value alone.
 */
export interface PixelSample {
  stored: number;
  modality: number;
  samples: number[];
}

/** Cornerstone's own figures for one loaded image: decode in the worker, and request to decoded. */
export interface ImageLoadTiming {
  imageIndex: number;
  decodeMs: number | null;
  loadMs: number | null;
}

export interface ReadingStationViewerHook {
  readonly version: 1;
  /** What is on screen; `renderedImageIndex`/`renderCount` advance on Cornerstone's IMAGE_RENDERED. */
  state(): ViewerHookState;
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

/** The page's globals as far as the hook goes: `(globalThis as ViewerHookGlobals).__readingStationViewer`. */
export interface ViewerHookGlobals {
  __readingStationViewer?: ReadingStationViewerHook;
}
