/**
 * A series' preview, drawn with the window the main view would start the image with
 * (thumbnail-voi.ts) rather than Cornerstone's thumbnail renderer, which picks its own VOI and
 * does not invert MONOCHROME1 the way the viewport does. Colour images have no window: they go
 * through Cornerstone's renderer as before.
 */
import { core, usesCpuRendering } from './cornerstone.ts';
import type { VoiLutFunction } from './ct-presets.ts';
import { imageWindowsOf, isMonochrome1 } from './loaded-image-windows.ts';
import { greyOf, initialWindowOf } from './thumbnail-voi.ts';

const { imageLoader, imageLoadPoolManager, Enums } = core;

/** Loads the image as a thumbnail request (after the viewer's own) and draws it fitted into the canvas. */
export function drawThumbnail(canvas: HTMLCanvasElement, imageId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Same loader options as the viewport (RGBA on the CPU path) so the cached image suits both;
    // `useRGBA` is the dicom-image-loader's option, beyond core's ImageLoaderOptions.
    const options = { priority: -5, requestType: Enums.RequestType.Thumbnail, useRGBA: usesCpuRendering() };
    const load = () =>
      imageLoader.loadAndCacheImage(imageId, options).then((image) => {
        if (image.color) return core.utilities.loadImageToCanvas({ canvas, imageId, useCPURendering: usesCpuRendering() }).then(() => undefined);
        drawGreyscale(canvas, image);
      });
    imageLoadPoolManager.addRequest(() => load().then(resolve, reject), Enums.RequestType.Thumbnail, { imageId }, -5);
  });
}

function drawGreyscale(canvas: HTMLCanvasElement, image: core.Types.IImage): void {
  const fn = image.voiLUTFunction as VoiLutFunction | undefined;
  const windowLevel = initialWindowOf(imageWindowsOf(image, fn));
  const invert = isMonochrome1(image.imageId);
  const values = image.getPixelData();
  const rescaled = image.preScale?.scaled === true;
  const slope = rescaled ? 1 : (image.slope ?? 1);
  const intercept = rescaled ? 0 : (image.intercept ?? 0);
  const { columns, rows } = image;
  const pixels = new ImageData(columns, rows);
  for (let i = 0; i < columns * rows; i++) {
    const grey = windowLevel ? greyOf((values[i] ?? 0) * slope + intercept, windowLevel, fn, invert) : 0;
    pixels.data[i * 4] = grey;
    pixels.data[i * 4 + 1] = grey;
    pixels.data[i * 4 + 2] = grey;
    pixels.data[i * 4 + 3] = 255;
  }
  const full = document.createElement('canvas');
  full.width = columns;
  full.height = rows;
  full.getContext('2d')?.putImageData(pixels, 0, 0);
  const context = canvas.getContext('2d');
  if (!context) return;
  // Fitted and centred at the image's true aspect (pixel spacing), on black as in the viewport.
  const width = columns * (image.columnPixelSpacing || 1);
  const height = rows * (image.rowPixelSpacing || 1);
  const scale = Math.min(canvas.width / width, canvas.height / height);
  const [w, h] = [width * scale, height * scale];
  context.fillStyle = '#000';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingEnabled = true;
  context.drawImage(full, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
}
