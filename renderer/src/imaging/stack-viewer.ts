/**
 * One stack viewport on one element: the series shown in it, the tools bound to the mouse, cine,
 * prefetch, per-series load progress and load errors — everything the React viewer drives
 * through plain method calls and reads back as `StackViewerState` snapshots.
 *
 * Load errors come from Cornerstone's error events (IMAGE_LOAD_FAILED on the loader,
 * IMAGE_LOAD_ERROR from the viewport), never inferred from a render: a failed decode still
 * renders, as a black image.
 */
import type { ImageLoadTiming, PixelSample, ViewerHookState } from '@reading-station/contract';
import { ApiError, apiErrorFromXhr } from '../api/api-error.ts';
import { CalibrationLineTool, calibrationLineConfiguration } from './calibration-tool.ts';
import { core, FRAME_RETRY_EVENT, frameRequestTimedOut, tools, usesCpuRendering } from './cornerstone.ts';
import { voiRangeOf, windowLevelOf, type VoiLutFunction, type WindowLevel } from './ct-presets.ts';
import { frameProblemOf, withFailure, type FrameFailures } from './frame-failures.ts';
import type { ImageWindowId } from './image-windows.ts';
import { imageWindowsOf } from './loaded-image-windows.ts';
import { frameTimeoutError } from './frame-ranges.ts';
import type { FrameRetry } from './frame-retry.ts';
import { prefetchOrder } from './load-scheduling.ts';
import { startSeriesBatch } from './series-batch-loader.ts';
import { latestPreview, onPreview, wantPreview, type PreviewImage } from './first-image-preview.ts';
import { PreviewLayer } from './preview-layer.ts';
import { CALIBRATION_MEASURE_WAIT_MS, whenMeasured } from './annotation-measured.ts';
import { measurementToolConfiguration } from './measurement-annotations.ts';
import { measurementStore } from './measurement-store.ts';
import { imageIndexOf, valuesFromStats } from './measurements.ts';
import { SeriesProgressTracker, type SeriesProgress } from './series-progress.ts';
import { appliedVoiLutFunction, type AppliedVoiLutFunction } from './voi-lut-function.ts';

const { Enums: CoreEnums, eventTarget, cache, imageLoader, imageLoadPoolManager } = core;
type StackViewport = core.Types.IStackViewport;
type CornerstoneImage = core.Types.IImage;

export type PrimaryTool = 'windowLevel' | 'pan' | 'zoom' | 'length' | 'angle' | 'ellipseRoi' | 'probe' | 'calibrate';

const TOOL_NAMES: Readonly<Record<PrimaryTool, string>> = {
  windowLevel: tools.WindowLevelTool.toolName,
  pan: tools.PanTool.toolName,
  zoom: tools.ZoomTool.toolName,
  length: tools.LengthTool.toolName,
  angle: tools.AngleTool.toolName,
  ellipseRoi: tools.EllipticalROITool.toolName,
  probe: tools.ProbeTool.toolName,
  calibrate: CalibrationLineTool.toolName,
};
const MEASUREMENT_TOOLS = new Set([TOOL_NAMES.length, TOOL_NAMES.angle, TOOL_NAMES.ellipseRoi, TOOL_NAMES.probe]);

/** How the image is turned and shown: invert, rotation (degrees clockwise, 0/90/180/270) and flips. */
export interface ViewOrientation {
  invert: boolean;
  rotation: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
}

const UPRIGHT: ViewOrientation = { invert: false, rotation: 0, flipHorizontal: false, flipVertical: false };

export interface StackViewerState {
  seriesInstanceUid: string | null;
  /** The slice asked for (slider, keys, wheel, cine): drawn once it has loaded. */
  imageIndex: number;
  imageCount: number;
  /** Set once the first image of the current series has been drawn. */
  hasImage: boolean;
  /**
   * The slice of the current series that is drawn (Cornerstone's last IMAGE_RENDERED), which the
   * overlay describes; differs from `imageIndex` while the slice asked for is still loading.
   */
  renderedImageIndex: number | null;
  /** Window/level and zoom of the drawn image, as last rendered. */
  voi: WindowLevel | null;
  /**
   * The VOI LUT Function the window is applied with: the header's (LINEAR when it names none),
   * kept through drags and presets; LINEAR on the CPU path, which knows no other.
   */
  voiLutFunction: AppliedVoiLutFunction;
  /**
   * The drawn image's Header, Auto and Full range windows (image-windows.ts), in the function the
   * viewport maps with; Header is null when the image's header gives no window.
   */
  imageWindows: Readonly<Record<ImageWindowId, WindowLevel | null>> | null;
  zoom: number;
  primaryTool: PrimaryTool;
  cine: { playing: boolean; framesPerSecond: number };
  renderingMode: 'cpu' | 'gpu';
  /** As last rendered; a new series and Reset show it upright again. */
  orientation: ViewOrientation;
  /**
   * Patient directions (LPS) of the screen's right and downward axes as the drawn image is shown
   * (rotation and flips included), for the orientation markers; null before the first image.
   */
  screenAxes: { right: [number, number, number]; down: [number, number, number] } | null;
  progress: Readonly<Record<string, SeriesProgress>>;
  /** Slices of the current series that cannot be shown through a fault of their own, with why (frame-failures.ts). */
  frameFailures: FrameFailures;
}

export interface StackViewerCallbacks {
  onState(state: StackViewerState): void;
  /** A load of the current series failed; the viewer shows the error until `retry()`. */
  onLoadError(error: ApiError): void;
  /** A calibration line was drawn on the current series; `removeAnnotation` takes it off once used. */
  onCalibrationLine?(line: DrawnCalibrationLine): void;
}

/** A calibration line as drawn: its annotation, image and length as Cornerstone measures it. */
export interface DrawnCalibrationLine {
  annotationUID: string;
  imageId: string;
  /** Index of its image in the current series. */
  imageIndex: number;
  measured: number;
  unit: string;
}

let instanceCounter = 0;
let sharedEngine: core.RenderingEngine | null = null;

/**
 * One rendering engine for every viewer the app opens, one after the other: its WebGL context and
 * offscreen canvas are made once (on a machine without a GPU that takes the better part of a
 * second), and each viewer only enables and disables its own viewport in it.
 */
function renderingEngine(): core.RenderingEngine {
  sharedEngine ??= new core.RenderingEngine('reading-station-engine');
  return sharedEngine;
}

/**
 * Each prefetch queues under a lower (sooner) pool priority than the one before it: the series
 * just shown goes ahead of what is left of an earlier one, which still completes afterwards.
 */
let prefetchPriority = 0;

/** Slices next to the one on screen (the first of the prefetch order) fetched on their own, not in the series' batch. */
const NEIGHBOURS_ON_THEIR_OWN = 2;

export class StackViewer {
  readonly #element: HTMLDivElement;
  readonly #callbacks: StackViewerCallbacks;
  readonly #engine: core.RenderingEngine;
  readonly #viewportId: string;
  readonly #toolGroupId: string;
  readonly #toolGroup: NonNullable<ReturnType<typeof tools.ToolGroupManager.createToolGroup>>;
  readonly #resizeObserver: ResizeObserver;
  readonly #removeListeners: Array<() => void> = [];
  readonly #seriesImages = new Map<string, readonly string[]>();
  readonly #frameFailures = new Map<string, FrameFailures>();
  /** Load progress per series; also tells which series a (global) loader event is about. */
  readonly #progress = new SeriesProgressTracker({
    publish: (series, progress) => this.#update({ progress: { ...this.#state.progress, [series]: progress } }),
  });
  #state: StackViewerState;
  #cineTimer: number | null = null;
  #cineBusy = false;
  /** New slices drawn since cine last started (at its current rate), and when: for the hook. */
  #cineFrames = { count: 0, firstAt: 0, lastAt: 0 };
  #renderCount = 0;
  /** The imageId drawn at the last IMAGE_RENDERED of the current series. */
  #renderedImageId: string | null = null;
  #destroyed = false;
  /** The reduced-resolution preview of the slice asked for, until that slice is drawn. */
  readonly #preview: PreviewLayer;

  constructor(element: HTMLDivElement, callbacks: StackViewerCallbacks) {
    instanceCounter += 1;
    this.#element = element;
    this.#callbacks = callbacks;
    this.#preview = new PreviewLayer(element);
    this.#viewportId = `reading-station-stack-${instanceCounter}`;
    this.#toolGroupId = `reading-station-tools-${instanceCounter}`;
    this.#engine = renderingEngine();
    this.#engine.enableElement({
      viewportId: this.#viewportId,
      type: CoreEnums.ViewportType.STACK,
      element,
      defaultOptions: { background: [0, 0, 0] },
    });
    const toolGroup = tools.ToolGroupManager.createToolGroup(this.#toolGroupId);
    if (!toolGroup) throw new Error('Cornerstone could not create the viewer tool group.');
    this.#toolGroup = toolGroup;
    this.#bindTools();
    this.#state = {
      seriesInstanceUid: null,
      imageIndex: 0,
      imageCount: 0,
      hasImage: false,
      renderedImageIndex: null,
      voi: null,
      voiLutFunction: 'LINEAR',
      imageWindows: null,
      zoom: 1,
      primaryTool: 'windowLevel',
      cine: { playing: false, framesPerSecond: 10 },
      renderingMode: usesCpuRendering() ? 'cpu' : 'gpu',
      orientation: UPRIGHT,
      screenAxes: null,
      progress: {},
      frameFailures: {},
    };
    this.#listen();
    this.#resizeObserver = new ResizeObserver(() => {
      if (!this.#destroyed) this.#engine.resize(true, true);
    });
    this.#resizeObserver.observe(element);
  }

  get state(): StackViewerState {
    return this.#state;
  }

  /** Makes a series known (for its progress) before or without showing it. */
  registerSeries(seriesInstanceUid: string, imageIds: readonly string[]): void {
    this.#seriesImages.set(seriesInstanceUid, imageIds);
    this.#progress.register(seriesInstanceUid, imageIds, (imageId) => cache.isLoaded(imageId));
  }

  /** Shows a registered series from `startIndex`; prefetches the rest once the first image is up. */
  async showSeries(seriesInstanceUid: string, startIndex = 0): Promise<void> {
    const imageIds = this.#seriesImages.get(seriesInstanceUid);
    if (!imageIds || imageIds.length === 0) throw new Error(`series ${seriesInstanceUid} has no images`);
    this.stopCine();
    this.#progress.clearFailures(seriesInstanceUid);
    this.#frameFailures.delete(seriesInstanceUid);
    this.#renderedImageId = null;
    this.#update({ seriesInstanceUid, imageIndex: startIndex, imageCount: imageIds.length, hasImage: false, renderedImageIndex: null, voi: null, imageWindows: null, frameFailures: {} });
    this.#preview.remove();
    const preview = latestPreview();
    if (preview) this.#showPreview(preview);
    const first = Math.min(startIndex, imageIds.length - 1);
    try {
      await this.#viewport().setStack([...imageIds], first);
    } catch (error) {
      // Reported through IMAGE_LOAD_FAILED / IMAGE_LOAD_ERROR with the server's reason. A frame
      // that fails through a fault of its own is marked, and the rest of the series still loads.
      if (!frameProblemOf(error, describeLoadError(error))) return;
    }
    if (this.#destroyed || this.#state.seriesInstanceUid !== seriesInstanceUid) return;
    this.#prefetch(seriesInstanceUid);
  }

  /** After an error: load the current image again and the rest of the series behind it. */
  async retry(): Promise<void> {
    const series = this.#state.seriesInstanceUid;
    if (series) await this.showSeries(series, this.#state.imageIndex);
  }

  scrollTo(index: number): void {
    const count = this.#state.imageCount;
    if (count === 0) return;
    const target = Math.max(0, Math.min(count - 1, Math.round(index)));
    this.#update({ imageIndex: target });
    this.#wantPreviewOf(target);
    this.#viewport()
      .setImageIdIndex(target)
      .catch(() => undefined);
  }

  scrollBy(delta: number): void {
    this.scrollTo(this.#state.imageIndex + delta);
  }

  setWindowLevel(windowLevel: WindowLevel): void {
    const viewport = this.#viewport();
    viewport.setProperties({ voiRange: voiRangeOf(windowLevel, viewport.getProperties().VOILUTFunction as VoiLutFunction | undefined) });
    viewport.render();
  }

  /** Shows one of the drawn image's own windows (Header, Auto, Full range), if it has that one. */
  setImageWindow(id: ImageWindowId): void {
    const windowLevel = this.#state.imageWindows?.[id];
    if (windowLevel) this.setWindowLevel(windowLevel);
  }

  zoomBy(factor: number): void {
    const viewport = this.#viewport();
    viewport.setZoom(viewport.getZoom() * factor);
    viewport.render();
  }

  /** Invert the grey scale (on again, off again). */
  toggleInvert(): void {
    const viewport = this.#viewport();
    viewport.setProperties({ invert: !viewport.getProperties().invert });
    viewport.render();
  }

  /** Turn the image by a multiple of 90° (positive: clockwise). */
  rotateBy(degrees: number): void {
    const viewport = this.#viewport();
    const rotation = viewport.getViewPresentation().rotation ?? 0;
    viewport.setViewPresentation({ rotation: (((rotation + degrees) % 360) + 360) % 360 });
    viewport.render();
  }

  /** Mirror the image left–right (horizontal) or top–bottom (vertical) as it is shown. */
  flip(direction: 'horizontal' | 'vertical'): void {
    const viewport = this.#viewport();
    const { flipHorizontal = false, flipVertical = false } = viewport.getViewPresentation();
    viewport.setViewPresentation(direction === 'horizontal' ? { flipHorizontal: !flipHorizontal } : { flipVertical: !flipVertical });
    viewport.render();
  }

  /** The imageIds of a registered series, in display order. */
  imageIdsOf(seriesInstanceUid: string): readonly string[] {
    return this.#seriesImages.get(seriesInstanceUid) ?? [];
  }

  /** Removes an annotation that is not a measurement (a calibration line once used). */
  removeAnnotation(annotationUID: string): void {
    tools.annotation.state.removeAnnotation(annotationUID);
    if (!this.#destroyed) tools.utilities.triggerAnnotationRenderForViewportIds([this.#viewportId]);
  }

  /** Fit, centre, upright, not inverted, and the image's own window again; measurements stay. */
  resetView(): void {
    const viewport = this.#viewport();
    viewport.setViewPresentation({ rotation: 0, flipHorizontal: false, flipVertical: false });
    viewport.resetCamera();
    viewport.resetProperties();
    viewport.render();
  }

  setPrimaryTool(tool: PrimaryTool): void {
    // A half-drawn measurement (an angle waits for its second arm) would otherwise swallow the
    // next drag of the new tool.
    tools.cancelActiveManipulations(this.#element);
    const previous = TOOL_NAMES[this.#state.primaryTool];
    const next = TOOL_NAMES[tool];
    if (previous !== next) this.#toolGroup.setToolPassive(previous);
    this.#toolGroup.setToolActive(next, { bindings: [{ mouseButton: tools.Enums.MouseBindings.Primary }] });
    this.#update({ primaryTool: tool });
  }

  playCine(framesPerSecond = this.#state.cine.framesPerSecond): void {
    this.stopCine();
    const fps = Math.max(1, Math.min(60, Math.round(framesPerSecond)));
    this.#cineFrames = { count: 0, firstAt: 0, lastAt: 0 };
    this.#cineTimer = window.setInterval(() => this.#cineStep(), 1000 / fps);
    this.#update({ cine: { playing: true, framesPerSecond: fps } });
  }

  stopCine(): void {
    if (this.#cineTimer !== null) window.clearInterval(this.#cineTimer);
    this.#cineTimer = null;
    if (this.#state.cine.playing) this.#update({ cine: { ...this.#state.cine, playing: false } });
  }

  setCineRate(framesPerSecond: number): void {
    if (this.#state.cine.playing) this.playCine(framesPerSecond);
    else this.#update({ cine: { playing: false, framesPerSecond: Math.max(1, Math.min(60, Math.round(framesPerSecond))) } });
  }

  /** Values of the displayed image at image (column, row) positions; null before the first image. */
  readPixels(points: ReadonlyArray<{ x: number; y: number }>): PixelSample[] | null {
    const image = this.#displayedImage();
    if (!image) return null;
    const data = image.voxelManager?.getScalarData() ?? image.getPixelData();
    const slope = image.slope ?? 1;
    const intercept = image.intercept ?? 0;
    const preScaled = image.preScale?.scaled === true;
    const scaling = image.preScale?.scalingParameters;
    const rescaleSlope = scaling?.rescaleSlope ?? slope;
    const rescaleIntercept = scaling?.rescaleIntercept ?? intercept;
    // Colour pixels lie interleaved, three samples (four where the CPU path holds RGBA) apiece.
    const components = image.color ? (image.numberOfComponents ?? (data.length === image.columns * image.rows * 4 ? 4 : 3)) : 1;
    return points.map(({ x, y }) => {
      if (x < 0 || y < 0 || x >= image.columns || y >= image.rows) throw new RangeError(`pixel (${x}, ${y}) is outside the image`);
      const at = (y * image.columns + x) * components;
      if (image.color) {
        const samples = [0, 1, 2].map((c) => Number(data[at + c]));
        return { stored: samples[0] ?? 0, modality: samples[0] ?? 0, samples };
      }
      const value = Number(data[at]);
      // Cornerstone usually applies the modality LUT while decoding (preScale); undo it for the
      // stored value, or apply it for the modality value, whichever way the buffer holds it.
      if (!preScaled) return { stored: value, modality: value * rescaleSlope + rescaleIntercept, samples: [value] };
      // Undoing a non-integer slope in floating point leaves stored integers a hair off.
      const unscaled = (value - rescaleIntercept) / rescaleSlope;
      const stored = Math.abs(unscaled - Math.round(unscaled)) < 1e-3 ? Math.round(unscaled) : unscaled;
      return { modality: value, stored, samples: [stored] };
    });
  }

  /**
   * Where image pixel (column x, row y) of the displayed image is on the viewport, in CSS pixels
   * from its top-left corner; null before the first image.
   */
  canvasPointOf(x: number, y: number): { x: number; y: number } | null {
    const image = this.#displayedImage();
    if (!image) return null;
    const world = core.utilities.imageToWorldCoords(image.imageId, [x, y]);
    if (!world) return null;
    const [cx, cy] = this.#viewport().worldToCanvas(world);
    return { x: cx, y: cy };
  }

  /** Test/diagnostic view of what is on screen (see `viewer-diagnostics.ts`). */
  diagnostics(): ViewerHookState {
    const image = this.#displayedImage();
    const frames = this.#cineFrames;
    const measuredOverMs = frames.count >= 2 ? frames.lastAt - frames.firstAt : 0;
    return {
      seriesInstanceUid: this.#state.seriesInstanceUid,
      imageIndex: this.#state.imageIndex,
      imageCount: this.#state.imageCount,
      renderedImageIndex: this.#state.renderedImageIndex,
      renderedImageId: this.#renderedImageId,
      loading: this.#state.hasImage && this.#state.imageIndex !== this.#state.renderedImageIndex,
      renderCount: this.#renderCount,
      imageId: image?.imageId ?? null,
      columns: image?.columns ?? null,
      rows: image?.rows ?? null,
      voi: this.#state.voi,
      voiLutFunction: this.#state.voiLutFunction,
      zoom: this.#state.zoom,
      renderingMode: this.#state.renderingMode,
      orientation: this.#state.orientation,
      // Every measurement of the shown series, wherever its slice is (the list shows them all).
      measurements: this.#measurementsOfShownSeries(),
      selectedMeasurementId: measurementStore.snapshot.selectedId,
      previews: this.#preview.history.map((record) => ({ ...record })),
      cine: {
        playing: this.#state.cine.playing,
        /** The chosen rate. */
        framesPerSecond: this.#state.cine.framesPerSecond,
        /** New slices Cornerstone drew (IMAGE_RENDERED) since cine last started, kept after it stops. */
        framesShown: frames.count,
        /** From the first to the last of those frames. */
        measuredOverMs,
        /** The rate they were actually shown at; null before two frames. */
        framesShownPerSecond: measuredOverMs > 0 ? ((frames.count - 1) * 1000) / measuredOverMs : null,
        /** A slice cine asked for is still being set (it is drawn even if cine stops meanwhile). */
        frameInFlight: this.#cineBusy,
      },
    };
  }

  /**
   * Cornerstone's timings of the images of the shown series that are loaded, in series order
   * (`decodeTimeInMS` and `loadTimeInMS`, which the image loader puts on each image).
   */
  loadTimings(): ImageLoadTiming[] {
    const series = this.#state.seriesInstanceUid;
    const imageIds = series ? (this.#seriesImages.get(series) ?? []) : [];
    const timings: ImageLoadTiming[] = [];
    imageIds.forEach((imageId, imageIndex) => {
      const image = cache.getImage(imageId);
      if (!image) return;
      timings.push({ imageIndex, decodeMs: image.decodeTimeInMS ?? null, loadMs: image.loadTimeInMS ?? null });
    });
    return timings;
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    // Loads this viewer queued and not yet started: a study opened next must not wait behind them.
    // Started ones finish into the cache (dropping those would leave their cache entries pending).
    imageLoadPoolManager.clearRequestStack(CoreEnums.RequestType.Prefetch);
    imageLoadPoolManager.clearRequestStack(CoreEnums.RequestType.Interaction);
    this.stopCine();
    this.#preview.remove();
    this.#progress.dispose();
    this.#resizeObserver.disconnect();
    for (const remove of this.#removeListeners) remove();
    tools.ToolGroupManager.destroyToolGroup(this.#toolGroupId);
    this.#engine.disableElement(this.#viewportId);
  }

  // -------------------------------------------------------------------------------------------

  /** Draws a preview of the slice asked for while it is not drawn yet. */
  #showPreview(preview: PreviewImage): void {
    if (this.#destroyed || this.#currentImageId() !== preview.imageId || this.#renderedImageId === preview.imageId) return;
    this.#preview.show(preview);
  }

  #currentImageId(): string | undefined {
    const series = this.#state.seriesInstanceUid;
    return series ? this.#seriesImages.get(series)?.[this.#state.imageIndex] : undefined;
  }

  /**
   * A slice scrolled to that is not loaded yet is previewed at reduced resolution when its frame is
   * HTJ2K and its decode has not started (first-image-preview.ts); a preview of another slice goes.
   */
  #wantPreviewOf(index: number): void {
    const series = this.#state.seriesInstanceUid;
    const imageId = series ? this.#seriesImages.get(series)?.[index] : undefined;
    if (this.#preview.imageId !== null && this.#preview.imageId !== imageId) this.#preview.remove();
    if (imageId && !cache.isLoaded(imageId)) wantPreview(imageId);
  }

  #viewport(): StackViewport {
    return this.#engine.getViewport<StackViewport>(this.#viewportId);
  }

  #displayedImage(): CornerstoneImage | null {
    if (!this.#state.hasImage || this.#destroyed) return null;
    return this.#viewport().getCornerstoneImage() ?? null;
  }

  #bindTools(): void {
    const group = this.#toolGroup;
    for (const name of Object.values(TOOL_NAMES)) {
      const configuration = MEASUREMENT_TOOLS.has(name) ? measurementToolConfiguration(name) : name === TOOL_NAMES.calibrate ? calibrationLineConfiguration : undefined;
      group.addTool(name, configuration);
    }
    group.addTool(tools.StackScrollTool.toolName);
    const { MouseBindings } = tools.Enums;
    group.setToolActive(TOOL_NAMES.windowLevel, { bindings: [{ mouseButton: MouseBindings.Primary }] });
    group.setToolActive(TOOL_NAMES.pan, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
    group.setToolActive(TOOL_NAMES.zoom, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
    group.setToolActive(tools.StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
    // Passive: existing measurements stay visible and editable whichever tool is on the left button.
    for (const name of MEASUREMENT_TOOLS) group.setToolPassive(name);
    group.addViewport(this.#viewportId, this.#engine.id);
  }

  #listen(): void {
    const on = <T extends Event>(target: EventTarget, type: string, handler: (event: T) => void): void => {
      const listener = (event: Event) => handler(event as T);
      target.addEventListener(type, listener);
      this.#removeListeners.push(() => target.removeEventListener(type, listener));
    };
    const E = CoreEnums.Events;

    // The slice asked for, however it was asked (our calls, the wheel's StackScrollTool, cine):
    // PRE_STACK_NEW_IMAGE goes out as its load starts, STACK_VIEWPORT_SCROLL as the wheel turns
    // (the wheel waits 40 ms before it asks for a slice that is not loaded yet).
    on<core.Types.EventTypes.PreStackNewImageEvent>(this.#element, E.PRE_STACK_NEW_IMAGE, (event) => {
      if (event.detail.imageIdIndex !== this.#state.imageIndex) this.#update({ imageIndex: event.detail.imageIdIndex });
    });
    on<core.Types.EventTypes.StackViewportScrollEvent>(this.#element, E.STACK_VIEWPORT_SCROLL, (event) => {
      this.#wantPreviewOf(event.detail.newImageIdIndex);
      if (event.detail.newImageIdIndex !== this.#state.imageIndex) this.#update({ imageIndex: event.detail.newImageIdIndex });
    });
    // The first image's preview, drawn when it is decoded if the full image is not drawn yet.
    this.#removeListeners.push(onPreview((preview) => this.#showPreview(preview)));
    // What is drawn is the image Cornerstone rendered, named by its own imageId: the viewport's
    // current index already names a slice that is still loading.
    on(this.#element, E.IMAGE_RENDERED, () => {
      const viewport = this.#viewport();
      const image = viewport.getCornerstoneImage();
      if (!image) return;
      const series = this.#state.seriesInstanceUid;
      const renderedImageIndex = series ? (this.#seriesImages.get(series)?.indexOf(image.imageId) ?? -1) : -1;
      // The previous series' image, drawn again (a resize) before the new series' first one.
      if (renderedImageIndex < 0) return;
      if (this.#preview.imageId === image.imageId) this.#preview.remove();
      this.#renderCount += 1;
      if (this.#state.cine.playing && renderedImageIndex !== this.#state.renderedImageIndex) this.#countCineFrame();
      const { voiRange, VOILUTFunction } = viewport.getProperties();
      const fn = VOILUTFunction as VoiLutFunction | undefined;
      // Once per drawn image: Auto reads every pixel.
      const imageWindows = image.imageId === this.#renderedImageId && this.#state.imageWindows ? this.#state.imageWindows : imageWindowsOf(image, fn);
      this.#renderedImageId = image.imageId;
      this.#update({
        hasImage: true,
        renderedImageIndex,
        voi: voiRange ? windowLevelOf(voiRange, fn) : null,
        voiLutFunction: appliedVoiLutFunction(fn),
        imageWindows,
        zoom: viewport.getZoom(),
        orientation: this.#orientationOf(viewport),
        screenAxes: screenAxesOf(viewport),
      });
    });
    const onFailure = (imageId: string | undefined, error: unknown): void => {
      if (!imageId) return;
      // A slice that cannot be drawn keeps no preview saying it is on its way.
      if (this.#preview.imageId === imageId) this.#preview.remove();
      const series = this.#progress.imageFailed(imageId);
      if (!series) return;
      const described = describeLoadError(error);
      const problem = frameProblemOf(error, described);
      if (problem) {
        // Marked on the slider, not the banner: the rest of the series loads.
        const index = this.#seriesImages.get(series)?.indexOf(imageId) ?? -1;
        if (index < 0) return;
        const failures = withFailure(this.#frameFailures.get(series) ?? {}, index, problem);
        this.#frameFailures.set(series, failures);
        if (series === this.#state.seriesInstanceUid) this.#update({ frameFailures: failures });
        return;
      }
      if (series === this.#state.seriesInstanceUid) this.#callbacks.onLoadError(described);
    };
    on<core.Types.EventTypes.ImageLoadedEvent>(eventTarget, E.IMAGE_LOADED, (event) => {
      const { image } = event.detail;
      this.#progress.imageLoaded(image.imageId);
    });
    // A calibration line finished on the current series: the viewer asks for its true length —
    // the length of where the line ended. Cornerstone measures a line in a throttled step of its
    // drawing, so when the drag ends the length of its last position may still be on its way
    // (the annotation is still `invalidated`): the dialog waits for that measurement.
    const offerCalibration = (annotation: tools.Types.Annotation): void => {
      if (this.#destroyed || !annotation.annotationUID) return;
      const imageId = annotation.metadata?.referencedImageId ?? '';
      const series = this.#state.seriesInstanceUid;
      const imageIndex = series ? (this.#seriesImages.get(series)?.indexOf(imageId) ?? -1) : -1;
      const values = valuesFromStats(tools.LengthTool.toolName, annotation.data?.cachedStats);
      if (imageIndex < 0 || values?.kind !== 'length') {
        this.removeAnnotation(annotation.annotationUID);
        return;
      }
      this.#callbacks.onCalibrationLine?.({ annotationUID: annotation.annotationUID, imageId, imageIndex, measured: values.length, unit: values.unit });
    };
    on<CustomEvent<{ annotation?: tools.Types.Annotation }>>(eventTarget, tools.Enums.Events.ANNOTATION_COMPLETED, (event) => {
      const annotation = event.detail.annotation;
      if (annotation?.metadata?.toolName !== TOOL_NAMES.calibrate || !annotation.annotationUID) return;
      whenMeasured(annotation, eventTarget, tools.Enums.Events.ANNOTATION_MODIFIED, CALIBRATION_MEASURE_WAIT_MS).then(() => offerCalibration(annotation), () => undefined);
    });
    // A frame asked for again (frame-retry.ts): the series' progress says what it waits for.
    on<CustomEvent<FrameRetry>>(eventTarget, FRAME_RETRY_EVENT, (event) => {
      this.#progress.imageRetrying(event.detail.imageId, retryReason(event.detail));
    });
    on<core.Types.EventTypes.ImageLoadedFailedEvent>(eventTarget, E.IMAGE_LOAD_FAILED, (event) => {
      onFailure(event.detail.imageId, event.detail.error);
    });
    on<CustomEvent<{ imageId?: string; error?: unknown }>>(eventTarget, E.IMAGE_LOAD_ERROR, (event) => {
      onFailure(event.detail.imageId, event.detail.error);
    });
  }

  #orientationOf(viewport: StackViewport): ViewOrientation {
    const { rotation = 0, flipHorizontal = false, flipVertical = false } = viewport.getViewPresentation();
    return { invert: viewport.getProperties().invert === true, rotation: Math.round(rotation), flipHorizontal, flipVertical };
  }

  #measurementsOfShownSeries(): ViewerHookState['measurements'] {
    const series = this.#state.seriesInstanceUid;
    if (!series) return [];
    const imageIds = this.imageIdsOf(series);
    return measurementStore.snapshot.records
      .filter((r) => r.seriesInstanceUid === series)
      .map((r) => ({ ...r, imageIndex: imageIndexOf(imageIds, r) }));
  }

  #prefetch(seriesInstanceUid: string): void {
    const imageIds = this.#seriesImages.get(seriesInstanceUid) ?? [];
    const current = this.#viewport().getCurrentImageIdIndex();
    prefetchPriority -= 1;
    const order = prefetchOrder(imageIds.length, current);
    // A single-frame series' slices not loaded yet come in one series retrieval (series-batch-loader.ts),
    // and the prefetches below take their frames from it as they arrive — but Orthanc sends a
    // series in an order of its own, so the slices next to the one on screen, which the reader
    // scrolls to first, are asked for on their own at once.
    const batched = order.slice(NEIGHBOURS_ON_THEIR_OWN).map((index) => imageIds[index] ?? '');
    startSeriesBatch(batched.filter((imageId) => !cache.isLoaded(imageId) && !cache.getImageLoadObject(imageId)));
    for (const index of order) {
      const imageId = imageIds[index];
      if (!imageId || cache.isLoaded(imageId) || cache.getImageLoadObject(imageId)) continue;
      imageLoadPoolManager.addRequest(
        () =>
          imageLoader.loadAndCacheImage(imageId, { priority: 0, requestType: CoreEnums.RequestType.Prefetch }).then(
            () => undefined,
            () => undefined, // reported through IMAGE_LOAD_FAILED
          ),
        CoreEnums.RequestType.Prefetch,
        { imageId },
        prefetchPriority,
      );
    }
  }

  #countCineFrame(): void {
    const now = performance.now();
    const frames = this.#cineFrames;
    this.#cineFrames = { count: frames.count + 1, firstAt: frames.count === 0 ? now : frames.firstAt, lastAt: now };
  }

  #cineStep(): void {
    if (this.#cineBusy || this.#state.imageCount === 0) return;
    const viewport = this.#viewport();
    const next = (viewport.getCurrentImageIdIndex() + 1) % this.#state.imageCount;
    // One frame at a time: a slow load must not queue up frames behind it.
    this.#cineBusy = true;
    viewport
      .setImageIdIndex(next)
      .catch(() => this.stopCine())
      .finally(() => {
        this.#cineBusy = false;
      });
  }

  #update(patch: Partial<StackViewerState>): void {
    if (this.#destroyed) return;
    this.#state = { ...this.#state, ...patch };
    this.#callbacks.onState(this.#state);
  }
}

/**
 * Where the screen's right and downward axes point in the patient: Cornerstone's world space is
 * the patient's (LPS), so the differences of three canvas points mapped into it are exact whatever
 * the rotation, flip, zoom or pan.
 */
function screenAxesOf(viewport: StackViewport): StackViewerState['screenAxes'] {
  const origin = viewport.canvasToWorld([0, 0]);
  const unit = (point: readonly number[]): [number, number, number] => {
    const d = [0, 1, 2].map((i) => (point[i] ?? 0) - (origin[i] ?? 0));
    const length = Math.hypot(...d);
    return length > 0 ? [(d[0] ?? 0) / length, (d[1] ?? 0) / length, (d[2] ?? 0) / length] : [0, 0, 0];
  };
  return { right: unit(viewport.canvasToWorld([1, 0])), down: unit(viewport.canvasToWorld([0, 1])) };
}

/** Why a frame is asked for again, in a few words for the series panel. */
export function retryReason(retry: Pick<FrameRetry, 'kind' | 'error'>): string {
  if (retry.kind === 'timeout') return 'no answer in time';
  const status = (retry.error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status > 0 ? `the server answered ${status}` : 'the server could not be reached';
}

/** The loader rejects with the XMLHttpRequest for HTTP failures, or with an Error for decode failures. */
export function describeLoadError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (typeof error === 'object' && error !== null && 'status' in error && typeof (error as { status: unknown }).status === 'number') {
    const xhr = error as { status: number; response?: unknown };
    if (frameRequestTimedOut(xhr)) return frameTimeoutError();
    return apiErrorFromXhr({ status: xhr.status, response: xhr.response });
  }
  return new ApiError('IMAGE_DECODE_FAILED');
}
