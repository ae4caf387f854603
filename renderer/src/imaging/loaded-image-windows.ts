/**
 * The Header, Auto and Full range windows (image-windows.ts) of an image Cornerstone has loaded,
 * from its metadata and its pixels: for the viewer's presets and for the thumbnails' first window.
 */
import { core } from './cornerstone.ts';
import type { VoiLutFunction, WindowLevel } from './ct-presets.ts';
import { autoWindowOf, fullRangeWindowOf, headerWindowOf, type ImageWindowId } from './image-windows.ts';

type CornerstoneImage = core.Types.IImage;

/** The Header, Auto and Full range windows of a loaded image, from its own header and pixels. */
export function imageWindowsOf(image: CornerstoneImage, fn: VoiLutFunction | undefined): Record<ImageWindowId, WindowLevel | null> {
  const voi = core.metaData.get('voiLutModule', image.imageId) as Parameters<typeof headerWindowOf>[0];
  const pixel = core.metaData.get('imagePixelModule', image.imageId) as { bitsStored?: number; pixelRepresentation?: number } | undefined;
  const modalityLut = core.metaData.get('modalityLutModule', image.imageId) as { rescaleSlope?: number; rescaleIntercept?: number } | undefined;
  const rescale = { slope: modalityLut?.rescaleSlope ?? image.slope, intercept: modalityLut?.rescaleIntercept ?? image.intercept };
  const bitsStored = pixel?.bitsStored;
  return {
    header: headerWindowOf(voi),
    auto: autoWindowOf(image.getPixelData(), rescale, image.preScale?.scaled === true, fn),
    fullRange: bitsStored ? fullRangeWindowOf({ bitsStored, pixelRepresentation: pixel?.pixelRepresentation ?? 0 }, rescale, fn) : null,
  };
}

/** Whether the image is shown inverted from the start (MONOCHROME1: low values white). */
export function isMonochrome1(imageId: string): boolean {
  const pixel = core.metaData.get('imagePixelModule', imageId) as { photometricInterpretation?: string } | undefined;
  return pixel?.photometricInterpretation?.trim() === 'MONOCHROME1';
}
