/**
 * Cornerstone3D, initialised once for the whole app. Everything else asks this module (`ensureCornerstone`)
 * and never calls an `init` itself.
 *
 * Order matters (docs/facts.md, Cornerstone3D):
 *  1. core `init()` — detects WebGL; without it Cornerstone switches to CPU rendering by itself.
 *  2. tools `init()` and every tool registered with `addTool` — before any `enableElement`,
 *     otherwise dragging on a viewport silently does nothing.
 *  3. dicom-image-loader `init()` — registers the `wadors:` loader and its decode web workers
 *     (HTJ2K decodes in WASM inside those workers). Its `beforeSend` asks the bridge for the
 *     access token on every request, never caching it, and asks for the stored codestream as is
 *     (`transfer-syntax=*`): the loader picks the decoder from the part's transfer-syntax.
 *
 * Loading is spread as `load-scheduling.ts` says: decode workers on every core but one (at least
 * two); only as many prefetches in flight as keep the connections and the workers busy, the rest
 * waiting in Cornerstone's queue (where the frame on screen overtakes them and a closed study's
 * prefetch can be dropped); and no more prefetched decodes handed to the workers than there are
 * workers, so a frame the reader asks for never waits behind a worker's backlog.
 */
import * as core from '@cornerstonejs/core';
import * as dicomImageLoader from '@cornerstonejs/dicom-image-loader';
import * as tools from '@cornerstonejs/tools';
import { FRAME_ACCEPT } from '@reading-station/contract';
import { ApiError } from '../api/api-error.ts';
import { CalibrationLineTool } from './calibration-tool.ts';
import { decodedFrameMismatch } from './frame-failures.ts';
import { wantPreview } from './first-image-preview.ts';
import { RANGE_SCHEME, previewingImageLoader, rangeImageLoader, setRangeRequestHeaders, storedObjectFallback } from './frame-ranges.ts';
import { retryingImageLoader, type FrameRetry, type ImageLoad } from './frame-retry.ts';
import { decodeWorkerCount, prefetchConcurrency } from './load-scheduling.ts';
import { connectMeasurementStore } from './measurement-annotations.ts';
import { batchedImageLoader, setBatchRequestHeaders } from './series-batch-loader.ts';

/** How the image loader gets a token: the bridge, asked per request. */
export interface AccessTokenSource {
  getAccessToken(): Promise<string | null>;
}

/** Tools the viewer binds; registered once, globally, before any viewport exists. */
export const REGISTERED_TOOLS = [
  tools.WindowLevelTool,
  tools.PanTool,
  tools.ZoomTool,
  tools.StackScrollTool,
  tools.LengthTool,
  tools.AngleTool,
  tools.EllipticalROITool,
  tools.ProbeTool,
  CalibrationLineTool,
] as const;

/** Fired on core's eventTarget before a frame is asked for again, with the `FrameRetry`. */
export const FRAME_RETRY_EVENT = 'READING_STATION_FRAME_RETRY';

let ready: Promise<void> | null = null;
let tokenSource: AccessTokenSource | null = null;

/**
 * Initialises Cornerstone on first call; later calls return the same promise and only swap the
 * token source (a new bridge after a reload of the app shell).
 */
export function ensureCornerstone(source: AccessTokenSource): Promise<void> {
  tokenSource = source;
  ready ??= initialise();
  return ready;
}

async function initialise(): Promise<void> {
  core.init();
  tools.init();
  for (const tool of REGISTERED_TOOLS) tools.addTool(tool);
  // Measurements drawn become the session's records (measurement-store.ts).
  connectMeasurementStore();
  const workers = decodeWorkerCount(navigator.hardwareConcurrency);
  const { Prefetch } = core.Enums.RequestType;
  core.imageLoadPoolManager.setMaxSimultaneousRequests(Prefetch, prefetchConcurrency(workers));
  core.getWebWorkerManager().workerPoolManager.setMaxSimultaneousRequests(Prefetch, workers);
  handleCacheRejections();
  dicomImageLoader.init({ maxWebWorkers: workers, beforeSend: frameRequest });
  // Frames of multi-frame instances come in ranges (frame-ranges.ts), with the same headers.
  setRangeRequestHeaders(frameRequestHeaders);
  // Both loaders ask again by themselves for a frame that failed transiently (frame-retry.ts).
  const retrying = { timedOut: frameRequestTimedOut, onRetry: (retry: FrameRetry) => core.triggerEvent(core.eventTarget, FRAME_RETRY_EVENT, retry) };
  // Single-frame series come in one series retrieval each (series-batch-loader.ts), with the same
  // token; a frame the batch does not bring goes through the `wadors:` loader as before.
  setBatchRequestHeaders(frameRequestHeaders);
  // A frame Orthanc refuses to cut is read from the object as stored (frame-ranges.ts); a decoded
  // frame that is not its header's image fails as data that cannot be decoded.
  core.imageLoader.registerImageLoader('wadors', headerSizedImages(retryingImageLoader(storedObjectFallback(batchedImageLoader(previewingImageLoader(dicomImageLoader.wadors.loadImage))), retrying)) as unknown as core.Types.ImageLoaderFn);
  core.imageLoader.registerImageLoader(RANGE_SCHEME, headerSizedImages(retryingImageLoader(rangeImageLoader, retrying)) as unknown as core.Types.ImageLoaderFn);
}

/**
 * The loader `load`, failing a decoded frame that is not its header's image (another size, or
 * fewer values: decodedFrameMismatch) as data that cannot be decoded, so that it is never cached,
 * drawn or made a thumbnail, and the viewer marks it on the slider whichever load met it first.
 */
function headerSizedImages<T, O>(load: ImageLoad<T, O>): ImageLoad<T, O> {
  return (imageId, options) => {
    const { promise, cancelFn } = load(imageId, options);
    const checked = promise.then((image) => {
      const decoded = image as unknown as core.Types.IImage;
      const pixel = core.metaData.get('imagePixelModule', imageId) as { rows?: number; columns?: number } | undefined;
      const header = { rows: pixel?.rows ?? decoded.rows, columns: pixel?.columns ?? decoded.columns, samplesPerPixel: decoded.color ? 3 : 1 };
      const mismatch = decodedFrameMismatch({ values: decoded.getPixelData().length, rows: decoded.rows, columns: decoded.columns }, header);
      if (mismatch) throw new ApiError('IMAGE_DECODE_FAILED', { message: `The image data cannot be decoded: ${mismatch}.` });
      return image;
    });
    return { promise: checked, cancelFn };
  };
}

/**
 * Cornerstone's `loadAndCacheImage` hands each load to `cache.putImageLoadObject`, whose promise
 * re-throws a failed load and is dropped by its caller: every image that fails to load (a 4xx, a
 * corrupt frame) would end as an unhandled rejection in the page. The failure itself reaches the
 * viewer through IMAGE_LOAD_FAILED (and the caller's own promise), so that dropped copy is marked
 * handled here, and nothing else is.
 */
function handleCacheRejections(): void {
  const cache = core.cache as unknown as { putImageLoadObject: (...args: unknown[]) => unknown };
  const put = cache.putImageLoadObject.bind(core.cache);
  cache.putImageLoadObject = (...args: unknown[]) => {
    const result = put(...args);
    if (result instanceof Promise) result.catch(() => undefined);
    return result;
  };
}

/**
 * Longest wait for one frame (a few hundred kilobytes): a stalled archive ends as an error with
 * Retry instead of a slice that loads forever.
 */
export const FRAME_TIMEOUT_MS = 30_000;

/** When each frame request went out, to tell a timeout from a refused connection (both status 0). */
const frameRequestSentAt = new WeakMap<XMLHttpRequest, number>();

function frameRequest(xhr: XMLHttpRequest): Promise<Record<string, string>> {
  xhr.timeout = FRAME_TIMEOUT_MS;
  frameRequestSentAt.set(xhr, performance.now());
  return frameRequestHeaders();
}

/** Whether a failed frame request (status 0) ran out of time rather than found no server. */
export function frameRequestTimedOut(xhr: { status: number }): boolean {
  const sentAt = xhr instanceof XMLHttpRequest ? frameRequestSentAt.get(xhr) : undefined;
  return xhr.status === 0 && sentAt !== undefined && performance.now() - sentAt >= FRAME_TIMEOUT_MS - 100;
}

async function frameRequestHeaders(): Promise<Record<string, string>> {
  const headers: Record<string, string> = { Accept: FRAME_ACCEPT };
  try {
    const token = await tokenSource?.getAccessToken();
    if (token) headers.Authorization = `Bearer ${token}`;
  } catch {
    // A throw here would leave the loader's request pending forever; without a token the
    // server answers 401 and the viewer's error handling takes over.
  }
  return headers;
}

/** Whether images are drawn by the CPU path (no WebGL, e.g. `--disable-3d-apis`). */
export function usesCpuRendering(): boolean {
  return core.getShouldUseCPURendering();
}

/**
 * Starts loading the image a viewport is about to show, with the options the viewport itself
 * loads it with (RGBA on the CPU path), so its request and decode go out as soon as the metadata
 * is known instead of after the viewport is set up; the viewport then finds it in the cache.
 */
export function loadImageToShow(imageId: string): void {
  // Drawn at reduced resolution first when its frame is HTJ2K (first-image-preview.ts).
  wantPreview(imageId);
  // `useRGBA` is the dicom-image-loader's option, beyond core's ImageLoaderOptions.
  const options = { priority: -5, requestType: core.Enums.RequestType.Interaction, useRGBA: usesCpuRendering() };
  core.imageLoader
    .loadAndCacheImage(imageId, options)
    .catch(() => undefined); // reported through IMAGE_LOAD_FAILED when the viewport asks for it
}

/** Adds instance metadata for the `wadors:` loader (it reads Image Pixel, Plane, VOI, …). */
export function registerInstanceMetadata(imageId: string, metadata: Record<string, { Value?: unknown[] }>): void {
  // The loader's metadata provider calls `.includes` on the Modality of any image without an
  // orientation and throws when an object has none (secondary captures often do not): an empty
  // Modality keeps it answering.
  const modality = metadata['00080060']?.Value?.[0];
  type Attributes = Record<string, { vr?: string; Value?: unknown[] }>;
  const withModality: Attributes = typeof modality === 'string' ? metadata : { ...metadata, '00080060': { vr: 'CS', Value: [''] } };
  // A radiograph that knows only its detector's spacing (ImagerPixelSpacing) is measured in mm at
  // the detector, as DICOM allows; the loader reads PixelSpacing alone, so it gets that value, and
  // the overlay says the lengths are the detector's (viewer/frame-info.ts).
  const imager = metadata['00181164']?.Value;
  const spaced: Attributes =
    !metadata['00280030']?.Value && Array.isArray(imager) && imager.length === 2 ? { ...withModality, '00280030': { vr: 'DS', Value: imager } } : withModality;
  // Cornerstone takes the spacing of an image without a plane position and orientation (a
  // projection radiograph) for a default and measures it in px; the axes it assumes then anyway are
  // given, so a known spacing measures in mm (single-frame images only: the loader derives the
  // frames of a multi-frame one from these). The overlay's orientation markers read the header
  // itself, which has none.
  const frames = Number(metadata['00280008']?.Value?.[0] ?? 1);
  const complete =
    spaced['00280030']?.Value && !spaced['00200037']?.Value && !spaced['00200032']?.Value && !(frames > 1)
      ? { ...spaced, '00200037': { vr: 'DS', Value: [1, 0, 0, 0, 1, 0] }, '00200032': { vr: 'DS', Value: [0, 0, 0] } }
      : spaced;
  dicomImageLoader.wadors.metaDataManager.add(imageId, complete as unknown as Parameters<typeof dicomImageLoader.wadors.metaDataManager.add>[1]);
}

export { core, tools };
