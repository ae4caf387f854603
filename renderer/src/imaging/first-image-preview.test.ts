import { describe, expect, it } from 'vitest';
import { previewRgba, type PreviewLayout } from './first-image-preview.ts';

const ct: PreviewLayout = { columns: 4, rows: 1, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2', rescaleSlope: 1, rescaleIntercept: -1024, window: { center: 40, width: 400 } };

const greys = (rgba: Uint8ClampedArray | null) => (rgba ? Array.from({ length: rgba.length / 4 }, (_, i) => rgba[i * 4]) : null);

describe('previewRgba', () => {
  it("rescales and applies the header's window by DICOM's linear function", () => {
    // Stored 864, 1064, 1264 are -160, 40, 240 HU: the window's bottom, centre and top; 0 is far below.
    const rgba = previewRgba([0, 864, 1064, 1264], 4, 1, ct);
    expect(greys(rgba)).toEqual([0, 0, 128, 255]);
    expect(rgba?.[3]).toBe(255);
  });

  it("windows over the values' range without a header window, and inverts MONOCHROME1", () => {
    expect(greys(previewRgba([10, 20, 30, 40], 4, 1, { ...ct, rescaleIntercept: 0, window: null }))).toEqual([0, 85, 170, 255]);
    expect(greys(previewRgba([10, 20, 30, 40], 4, 1, { ...ct, rescaleIntercept: 0, window: null, photometricInterpretation: 'MONOCHROME1' }))).toEqual([255, 170, 85, 0]);
  });

  it('keeps RGB samples as decoded', () => {
    const rgba = previewRgba([1, 2, 3, 4, 5, 6], 2, 1, { ...ct, columns: 2, samplesPerPixel: 3, photometricInterpretation: 'RGB' });
    expect(Array.from(rgba ?? [])).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });

  it('draws nothing it cannot draw right: other colour models, or too few values', () => {
    expect(previewRgba([1, 2, 3, 4, 5, 6], 2, 1, { ...ct, samplesPerPixel: 3, photometricInterpretation: 'YBR_FULL' })).toBeNull();
    expect(previewRgba([1, 2, 3], 4, 1, ct)).toBeNull();
  });
});
