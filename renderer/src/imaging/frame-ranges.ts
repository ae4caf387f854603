/**
 * Frames of multi-frame instances, fetched in ranges: one WADO-RS request
 * (`…/instances/{sop}/frames/1,2,…,16`) brings up to FRAMES_PER_REQUEST frames as the parts of one
 * multipart response, instead of one request per frame. Cornerstone still sees one imageId per
 * frame (`wadors-frames:<instance URL>/frames/<n>`, the URL the `wadors:` loader would use, so the
 * dicom-image-loader's metadata of the instance — registered under frame 1 — answers for every
 * frame, per-frame functional groups included) and decodes each frame in its workers as usual
 * (`createImage`, the `wadors:` loader's own decode step).
 *
 * Frames Cornerstone's decoders do not read right (1-bit, 32-bit RLE) are made readable first
 * (pixel-data.ts); the study loader sends such objects here even when they have a single frame.
 *
 * A range's response is kept only until each of its frames has been handed to the decoder.
 */
import * as core from '@cornerstonejs/core';
import * as dicomImageLoader from '@cornerstonejs/dicom-image-loader';
import { FRAME_ACCEPT, SERIES_ACCEPT } from '@reading-station/contract';
import { ApiError, apiErrorFromXhr } from '../api/api-error.ts';
import { frameTimeoutError, type ImageLoad } from './frame-retry.ts';
import { parseMultipart, transferSyntaxOfPart } from './multipart.ts';
import { previewWanted, startPreview } from './first-image-preview.ts';
import { toDecodableFrame, type NativeFrame, type PixelLayout } from './pixel-data.ts';
import { MAX_STORED_OBJECT_BYTES, nativeFramesOf } from './stored-object.ts';

export const RANGE_SCHEME = 'wadors-frames';
export const FRAMES_PER_REQUEST = 16;

type LoaderOptions = Parameters<typeof dicomImageLoader.createImage>[3];

interface FramePart {
  bytes: Uint8Array;
  transferSyntax: string;
}

interface RangeLoad {
  /** Frames (1-based) of this range not yet taken by a load. */
  waiting: Set<number>;
  parts: Promise<Map<number, FramePart>>;
}

/** Frame count per instance URL (`…/instances/{sop}`), registered by the study loader. */
const frameCounts = new Map<string, number>();
const inFlight = new Map<string, RangeLoad>();
/** Objects read as stored for their frames (stored-object.ts), by instance URL, until each frame is taken. */
const storedLoads = new Map<string, { waiting: Set<number>; frames: Promise<NativeFrame[] | null> }>();
let headersOf: () => Promise<Record<string, string>> = async () => ({ Accept: FRAME_ACCEPT });

export function setRangeRequestHeaders(source: () => Promise<Record<string, string>>): void {
  headersOf = source;
}

/** Makes an instance's frame count known; returns the imageIds of its frames in frame order. */
export function registerMultiframeInstance(instanceUrl: string, numberOfFrames: number): string[] {
  frameCounts.set(instanceUrl, numberOfFrames);
  return Array.from({ length: numberOfFrames }, (_, i) => `${RANGE_SCHEME}:${instanceUrl}/frames/${i + 1}`);
}

/** Forgets every registered instance and pending range: after a sign-out no study's URLs stay in memory. */
export function forgetFrameRanges(): void {
  frameCounts.clear();
  inFlight.clear();
  storedLoads.clear();
}

/** The frames (1-based) fetched together with `frame`: its block of FRAMES_PER_REQUEST. */
export function rangeOf(frame: number, numberOfFrames: number): number[] {
  const first = Math.floor((frame - 1) / FRAMES_PER_REQUEST) * FRAMES_PER_REQUEST + 1;
  const last = Math.min(numberOfFrames, first + FRAMES_PER_REQUEST - 1);
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

export function parseRangeImageId(imageId: string): { instanceUrl: string; frame: number } | null {
  const match = /^wadors-frames:(.+)\/frames\/(\d+)$/.exec(imageId);
  if (!match?.[1] || !match[2]) return null;
  return { instanceUrl: match[1], frame: Number(match[2]) };
}

/** Longest wait for one range of frames. */
const RANGE_TIMEOUT_MS = 60_000;

export { frameTimeoutError };

/**
 * The parts of a gated multipart answer, as long as one frame may take (cornerstone.ts) for up to
 * FRAMES_PER_REQUEST of them; a timeout, a network failure or an error status becomes the error
 * every frame load reports (frame-retry.ts asks again where that helps).
 */
async function fetchParts(url: string, accept?: string): Promise<ReturnType<typeof parseMultipart>> {
  const headers = await headersOf();
  let response: Response;
  let body: Uint8Array;
  try {
    response = await fetch(url, { headers: accept ? { ...headers, Accept: accept } : headers, signal: AbortSignal.timeout(RANGE_TIMEOUT_MS) });
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw error instanceof DOMException && error.name === 'TimeoutError' ? frameTimeoutError() : new ApiError('SERVER_UNREACHABLE');
  }
  if (!response.ok) throw apiErrorFromXhr({ status: response.status, response: body.buffer });
  return parseMultipart(response.headers.get('Content-Type') ?? '', body);
}

async function fetchRange(instanceUrl: string, frames: number[]): Promise<Map<number, FramePart>> {
  const parts = await fetchParts(`${instanceUrl}/frames/${frames.join(',')}`);
  if (parts.length !== frames.length) {
    throw new ApiError('IMAGE_DECODE_FAILED', { message: `The server sent ${parts.length} of ${frames.length} frames asked for. Retry; call IT if it persists.` });
  }
  const map = new Map<number, FramePart>();
  frames.forEach((frame, i) => {
    const part = parts[i];
    if (part) map.set(frame, { bytes: part.body, transferSyntax: transferSyntaxOfPart(part.contentType) });
  });
  return map;
}

async function rangePart(instanceUrl: string, frame: number): Promise<FramePart> {
  const frames = rangeOf(frame, frameCounts.get(instanceUrl) ?? frame);
  const key = `${instanceUrl}#${frames[0]}`;
  let load = inFlight.get(key);
  if (!load || !load.waiting.has(frame)) {
    const parts = fetchRange(instanceUrl, frames);
    load = { waiting: new Set(frames), parts };
    inFlight.set(key, load);
    // A failed range is asked again by the next load of any of its frames.
    parts.catch(() => {
      if (inFlight.get(key) === load) inFlight.delete(key);
    });
  }
  load.waiting.delete(frame);
  if (load.waiting.size === 0 && inFlight.get(key) === load) inFlight.delete(key);
  const part = (await load.parts).get(frame);
  if (!part) throw new ApiError('IMAGE_DECODE_FAILED');
  return part;
}

/** The object as stored (WADO-RS instance retrieval, `transfer-syntax=*`), cut into its native frames; null if it has none. */
async function fetchStoredFrames(instanceUrl: string): Promise<NativeFrame[] | null> {
  const parts = await fetchParts(instanceUrl, SERIES_ACCEPT);
  return parts.length === 1 && parts[0] ? nativeFramesOf(parts[0].body) : null;
}

/** Frame `frame` (1-based) of the object as stored, or null; one retrieval serves every frame of the object. */
async function storedFramePart(instanceUrl: string, frame: number): Promise<FramePart | null> {
  let load = storedLoads.get(instanceUrl);
  if (!load || !load.waiting.has(frame)) {
    const count = frameCounts.get(instanceUrl) ?? 1;
    const frames = fetchStoredFrames(instanceUrl);
    const started = { waiting: new Set(Array.from({ length: count }, (_, i) => i + 1)), frames };
    load = started;
    storedLoads.set(instanceUrl, started);
    frames.catch(() => {
      if (storedLoads.get(instanceUrl) === started) storedLoads.delete(instanceUrl);
    });
  }
  load.waiting.delete(frame);
  if (load.waiting.size === 0 && storedLoads.get(instanceUrl) === load) storedLoads.delete(instanceUrl);
  return (await load.frames)?.[frame - 1] ?? null;
}

/** The Image Pixel attributes of an imageId's instance, from its metadata. */
function layoutOf(imageId: string): PixelLayout {
  const pixel = core.metaData.get('imagePixelModule', imageId) as Partial<PixelLayout> | undefined;
  return {
    rows: pixel?.rows ?? 0,
    columns: pixel?.columns ?? 0,
    samplesPerPixel: pixel?.samplesPerPixel ?? 1,
    bitsAllocated: pixel?.bitsAllocated ?? 0,
    planarConfiguration: pixel?.planarConfiguration ?? 0,
  };
}

/** Whether the whole object (every frame, as the header says) is small enough to be read as stored. */
function storedObjectFits(instanceUrl: string, layout: PixelLayout): boolean {
  const bytes = ((frameCounts.get(instanceUrl) ?? 1) * layout.rows * layout.columns * layout.samplesPerPixel * layout.bitsAllocated) / 8;
  return bytes > 0 && bytes <= MAX_STORED_OBJECT_BYTES;
}

const refusedByArchive = (error: unknown) => (error as { status?: unknown } | null)?.status === 400;

/**
 * A frame's bytes: a native 32-bit object's from the object as stored (stored-object.ts), any
 * other from its range — and a frame the archive refuses to cut (400) from the object as stored.
 */
async function framePart(imageId: string, instanceUrl: string, frame: number): Promise<FramePart> {
  const layout = layoutOf(imageId);
  const fits = storedObjectFits(instanceUrl, layout);
  if (layout.bitsAllocated === 32 && fits) {
    const stored = await storedFramePart(instanceUrl, frame);
    if (stored) return stored;
  }
  try {
    return await rangePart(instanceUrl, frame);
  } catch (error) {
    const stored = refusedByArchive(error) && fits ? await storedFramePart(instanceUrl, frame).catch(() => null) : null;
    if (stored) return stored;
    throw error;
  }
}

/**
 * The loader `perFrame` (the `wadors:` loader of single frames), with a frame the archive refuses
 * to cut (400: uncompressed YBR_FULL_422) taken from the object as stored, where it can be.
 */
export function storedObjectFallback<T, O>(perFrame: ImageLoad<T, O>): ImageLoad<T | Awaited<ReturnType<typeof createFrameImage>>, O> {
  return (imageId, options) => {
    const promise = (async () => {
      const start = performance.now();
      try {
        return await perFrame(imageId, options).promise;
      } catch (error) {
        const instanceUrl = refusedByArchive(error) ? /^wadors:(.+)\/frames\/1$/.exec(imageId)?.[1] : undefined;
        const stored = instanceUrl && storedObjectFits(instanceUrl, layoutOf(imageId)) ? await storedFramePart(instanceUrl, 1).catch(() => null) : null;
        if (!stored) throw error;
        return createFrameImage(imageId, stored, options as Record<string, unknown> | undefined, start);
      }
    })();
    return { promise, cancelFn: undefined };
  };
}

/** The frame in a form Cornerstone's decoders read, after the instance's Image Pixel module. */
function decodable(imageId: string, frame: number, part: FramePart): FramePart {
  const layout = layoutOf(imageId);
  // A 1-bit frame's first pixel is bit ((frame - 1) × pixels) mod 8 of the first byte sent. (Orthanc
  // serves frames of 1-bit objects only with a multiple of 8 columns, so its frames start on a byte.)
  const bitOffset = ((frame - 1) * layout.rows * layout.columns * layout.samplesPerPixel) % 8;
  try {
    return toDecodableFrame(part, layout, bitOffset);
  } catch (error) {
    throw new ApiError('IMAGE_DECODE_FAILED', { message: `The image data is damaged: ${error instanceof Error ? error.message : String(error)}.` });
  }
}

/** Cornerstone image loader for `wadors-frames:` imageIds. */
function loadImage(imageId: string, options?: Record<string, unknown>) {
  const promise = (async () => {
    const parsed = parseRangeImageId(imageId);
    if (!parsed) throw new ApiError('IMAGE_DECODE_FAILED');
    const start = performance.now();
    const part = decodable(imageId, parsed.frame, await framePart(imageId, parsed.instanceUrl, parsed.frame));
    return createFrameImage(imageId, part, options, start);
  })();
  return { promise, cancelFn: undefined };
}

/**
 * The image of one frame's bytes, decoded as the `wadors:` loader decodes it, timed from `start`.
 * The bytes are handed to the decode worker by transfer, not copied, when they are the whole of
 * their buffer: every caller's frame is its own copy, taken by one load only (a frame asked for
 * again is fetched again), so nothing reads them after this call.
 */
export async function createFrameImage(imageId: string, part: FramePart, options: Record<string, unknown> | undefined, start: number) {
  // An image a preview is wanted of: its reduced resolution is decoded beside it and drawn first (first-image-preview.ts).
  if (previewWanted(imageId)) void startPreview(imageId, part.bytes, part.transferSyntax);
  const image = await dicomImageLoader.createImage(imageId, part.bytes, part.transferSyntax, { ...options, transferPixelData: ownsBuffer(part.bytes) } as LoaderOptions);
  const loaded = image as { loadTimeInMS?: number; transferSyntaxUID?: string };
  loaded.loadTimeInMS = Math.round(performance.now() - start);
  loaded.transferSyntaxUID = part.transferSyntax;
  return image;
}

/**
 * The `wadors:` loader `perFrame`, except for the image a study opens on when a preview of it is
 * wanted: that frame is fetched here (the same gated frame request and headers), so its codestream
 * can be previewed beside its decode.
 */
export function previewingImageLoader<T, O>(perFrame: ImageLoad<T, O>): ImageLoad<T | Awaited<ReturnType<typeof createFrameImage>>, O> {
  return (imageId, options) => {
    if (!previewWanted(imageId) || !imageId.startsWith('wadors:')) return perFrame(imageId, options);
    const promise = (async () => {
      const start = performance.now();
      const parts = await fetchParts(imageId.slice('wadors:'.length));
      const part = parts[0];
      if (parts.length !== 1 || !part) {
        throw new ApiError('IMAGE_DECODE_FAILED', { message: `The server sent ${parts.length} parts for one frame. Retry; call IT if it persists.` });
      }
      return createFrameImage(imageId, { bytes: part.body, transferSyntax: transferSyntaxOfPart(part.contentType) }, options as Record<string, unknown> | undefined, start);
    })();
    return { promise, cancelFn: undefined };
  };
}

/** Whether `bytes` spans its whole buffer, so transferring the buffer gives away nothing else. */
export function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
}

export const rangeImageLoader = loadImage;
