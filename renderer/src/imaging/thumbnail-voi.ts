/**
 * How a greyscale thumbnail is windowed: by the same rule as the main view, so that a series'
 * preview looks like the image it opens to. The main view starts with the header's first window
 * (`headerWindowOf`, the Header preset), or, where the header gives none, the image's lowest to
 * highest value (the Auto preset; what Cornerstone falls back on); it maps with the header's VOI
 * LUT Function and shows MONOCHROME1 inverted (low values white).
 */
import { voiRangeOf, type VoiLutFunction, type WindowLevel } from './ct-presets.ts';

/** The window the main view shows an image with at first. */
export function initialWindowOf(windows: { header: WindowLevel | null; auto: WindowLevel | null }): WindowLevel | null {
  return windows.header ?? windows.auto;
}

/**
 * The grey (0 black … 255 white) of one modality value under a window, with DICOM's functions
 * (PS3.3 C.11.2.1.2): LINEAR (and SAMPLED SIGMOID's ramp as Cornerstone maps it), LINEAR_EXACT,
 * SIGMOID; then inverted for MONOCHROME1.
 */
export function greyOf(value: number, windowLevel: WindowLevel, fn: VoiLutFunction | undefined, invert: boolean): number {
  const { windowWidth: w, windowCenter: c } = windowLevel;
  let fraction: number;
  if (fn === 'SIGMOID') {
    fraction = 1 / (1 + Math.exp((-4 * (value - c)) / w));
  } else {
    const { lower, upper } = voiRangeOf(windowLevel, fn);
    if (value <= lower) fraction = 0;
    else if (value > upper) fraction = 1;
    else fraction = fn === 'LINEAR_EXACT' ? (value - c) / w + 0.5 : (value - (c - 0.5)) / (w - 1) + 0.5;
  }
  const grey = Math.round(Math.min(1, Math.max(0, fraction)) * 255);
  return invert ? 255 - grey : grey;
}
