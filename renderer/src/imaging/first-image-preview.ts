/**
 * Progressive display of HTJ2K images: the image a study opens on, and a slice scrolled to while
 * its series is still loading. When such an image's codestream is here and its decode has not
 * started, a decode of its reduced resolution (PREVIEW_DECODE_LEVEL: a quarter of each side, the
 * wavelet's low-resolution levels only, a fraction of the full decode's work) goes to a decode
 * worker ahead of the full decode, beside it, and the stack viewer draws it, labelled as a preview, until Cornerstone draws the
 * full image (stack-viewer.ts, preview-layer.ts). On a machine whose WebGL is slow to first draw,
 * the radiologist sees the study's anatomy long before the diagnostic image; scrolling through a
 * series still loading shows each slice as soon as its low resolutions are decoded.
 *
 * The preview is a picture only: no tool measures it and no value under the cursor comes from it
 * (the viewport beneath holds no image or another slice's, and says the slice is loading).
 */
import * as core from '@cornerstonejs/core';

/** Each side halved this many times: 512 × 512 is previewed at 128 × 128. */
export const PREVIEW_DECODE_LEVEL = 2;

const HTJ2K = new Set(['1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203']);

/** What the preview needs of the header. */
export interface PreviewLayout {
  columns: number;
  rows: number;
  samplesPerPixel: number;
  photometricInterpretation: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** The header's first window, if it has one. */
  window: { center: number; width: number } | null;
}

export interface PreviewImage {
  imageId: string;
  /** The preview's own size (reduced). */
  columns: number;
  rows: number;
  /** The full image's size. */
  fullColumns: number;
  fullRows: number;
  rgba: Uint8ClampedArray;
}

type Listener = (preview: PreviewImage) => void;

const wanted = new Set<string>();
const listeners = new Set<Listener>();
let latest: PreviewImage | null = null;

/** Asks for a preview of `imageId` (the image a study opens on, a slice scrolled to), if its frame turns out to be HTJ2K. */
export function wantPreview(imageId: string): void {
  wanted.add(imageId);
}

/** Whether a preview was asked for `imageId` and not started yet. */
export function previewWanted(imageId: string): boolean {
  return wanted.has(imageId);
}

/** The newest preview decoded (a viewer set up after it arrived draws it from here). */
export function latestPreview(): PreviewImage | null {
  return latest;
}

export function onPreview(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Forgets previews asked for and made: nothing of a study stays after a sign-out. */
export function forgetPreviews(): void {
  wanted.clear();
  latest = null;
}

/**
 * Queues the preview decode of a wanted HTJ2K frame (a copy of its bytes, taken now) ahead of its
 * full decode, and publishes the preview when it is decoded. Call it just before handing the bytes
 * to the full decode; do not wait for it: the two run in two workers side by side, and the preview,
 * a fraction of the work, is drawn long before the full image. Never rejects: a frame that cannot
 * be previewed is simply shown when fully decoded.
 */
export async function startPreview(imageId: string, bytes: Uint8Array, transferSyntax: string): Promise<void> {
  if (!wanted.delete(imageId) || !HTJ2K.has(transferSyntax)) return;
  try {
    const layout = layoutOf(imageId);
    if (!layout) return;
    // Everything up to the task's hand-off runs now, before the caller's full decode takes the bytes.
    const decoded = (await core.getWebWorkerManager().executeTask(
      'dicomImageLoader',
      'decodeTask',
      {
        imageFrame: { ...pixelModuleOf(imageId), decodeLevel: PREVIEW_DECODE_LEVEL },
        transferSyntax,
        // A copy: the full decode takes the original.
        pixelData: bytes.slice(),
        options: { preScale: { enabled: false } },
        decodeConfig: {},
      },
      { priority: -10, requestType: core.Enums.RequestType.Interaction },
    )) as { pixelData?: ArrayLike<number>; columns?: number; rows?: number };
    const { pixelData, columns, rows } = decoded;
    if (!pixelData || !columns || !rows) return;
    const rgba = previewRgba(pixelData, columns, rows, layout);
    if (!rgba) return;
    latest = { imageId, columns, rows, fullColumns: layout.columns, fullRows: layout.rows, rgba };
    for (const listener of listeners) listener(latest);
  } catch {
    // No preview; the full image follows as it would have anyway.
  }
}

function pixelModuleOf(imageId: string): Record<string, unknown> {
  return (core.metaData.get('imagePixelModule', imageId) as Record<string, unknown> | undefined) ?? {};
}

function layoutOf(imageId: string): PreviewLayout | null {
  const pixel = pixelModuleOf(imageId) as { columns?: number; rows?: number; samplesPerPixel?: number; photometricInterpretation?: string };
  const modality = core.metaData.get('modalityLutModule', imageId) as { rescaleSlope?: number; rescaleIntercept?: number } | undefined;
  const voi = core.metaData.get('voiLutModule', imageId) as { windowCenter?: number[]; windowWidth?: number[] } | undefined;
  if (!pixel.columns || !pixel.rows) return null;
  const center = voi?.windowCenter?.[0];
  const width = voi?.windowWidth?.[0];
  return {
    columns: pixel.columns,
    rows: pixel.rows,
    samplesPerPixel: pixel.samplesPerPixel ?? 1,
    photometricInterpretation: pixel.photometricInterpretation ?? 'MONOCHROME2',
    rescaleSlope: Number.isFinite(modality?.rescaleSlope) ? (modality?.rescaleSlope as number) : 1,
    rescaleIntercept: Number.isFinite(modality?.rescaleIntercept) ? (modality?.rescaleIntercept as number) : 0,
    window: Number.isFinite(center) && Number.isFinite(width) && (width as number) > 0 ? { center: center as number, width: width as number } : null,
  };
}

/**
 * The preview's RGBA: greyscale rescaled and windowed by the header's first window (DICOM's linear
 * function) or, without one, over the values' range, MONOCHROME1 inverted; RGB as decoded. Null
 * for what it does not draw (other colour models, or values that do not fill the size).
 */
export function previewRgba(pixels: ArrayLike<number>, columns: number, rows: number, layout: PreviewLayout): Uint8ClampedArray | null {
  const count = columns * rows;
  const rgba = new Uint8ClampedArray(count * 4);
  if (layout.samplesPerPixel === 3 && layout.photometricInterpretation === 'RGB') {
    if (pixels.length < count * 3) return null;
    for (let i = 0; i < count; i++) {
      rgba[i * 4] = pixels[i * 3] as number;
      rgba[i * 4 + 1] = pixels[i * 3 + 1] as number;
      rgba[i * 4 + 2] = pixels[i * 3 + 2] as number;
      rgba[i * 4 + 3] = 255;
    }
    return rgba;
  }
  if (layout.samplesPerPixel !== 1 || !/^MONOCHROME[12]$/.test(layout.photometricInterpretation) || pixels.length < count) return null;
  const { rescaleSlope: slope, rescaleIntercept: intercept } = layout;
  let low: number;
  let high: number;
  if (layout.window) {
    // DICOM's LINEAR window: c - 0.5 - (w - 1) / 2 maps to black, c - 0.5 + (w - 1) / 2 to white.
    low = layout.window.center - 0.5 - (layout.window.width - 1) / 2;
    high = layout.window.center - 0.5 + (layout.window.width - 1) / 2;
  } else {
    low = Infinity;
    high = -Infinity;
    for (let i = 0; i < count; i++) {
      const value = (pixels[i] as number) * slope + intercept;
      if (value < low) low = value;
      if (value > high) high = value;
    }
  }
  const span = high > low ? high - low : 1;
  const invert = layout.photometricInterpretation === 'MONOCHROME1';
  for (let i = 0; i < count; i++) {
    const value = (pixels[i] as number) * slope + intercept;
    const grey = Math.round(((value - low) / span) * 255);
    const shown = invert ? 255 - grey : grey;
    rgba[i * 4] = shown;
    rgba[i * 4 + 1] = shown;
    rgba[i * 4 + 2] = shown;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
