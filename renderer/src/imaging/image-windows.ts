/**
 * The windows every modality is offered, computed from the image itself rather than from a table
 * of Hounsfield values (ct-presets.ts):
 *  - Header: the image's own Window Center/Width, the first pair when the header gives several —
 *    the one the viewer shows at first (and Cornerstone's thumbnail renderer picks);
 *  - Auto: the drawn image's actual lowest and highest modality values, black to white. Plain
 *    min/max rather than a percentile: it is exact, reproducible from the file alone, and nothing
 *    in the image is clipped;
 *  - Full range: every modality value the pixel format can hold (Bits Stored, Pixel
 *    Representation, then Rescale Slope/Intercept).
 * A range of modality values becomes a DICOM window through `windowLevelOf`, so the overlay shows
 * exactly the window that maps the range's ends to black and white.
 */
import { windowLevelOf, type VoiLutFunction, type WindowLevel } from './ct-presets.ts';

export type ImageWindowId = 'header' | 'auto' | 'fullRange';

export interface ImageWindowPreset {
  id: ImageWindowId;
  label: string;
  /** Keyboard shortcut (after the CT presets' 1–4). */
  key: string;
  description: string;
}

export const IMAGE_WINDOW_PRESETS: readonly ImageWindowPreset[] = [
  { id: 'header', label: 'Header', key: '5', description: "The image header's window (the first when it gives several)" },
  { id: 'auto', label: 'Auto', key: '6', description: "The drawn image's lowest to highest value" },
  { id: 'fullRange', label: 'Full range', key: '7', description: 'Every value the pixel format can hold' },
];

/** The Modality LUT's linear part; absent tags mean identity. */
export interface Rescale {
  slope?: number;
  intercept?: number;
}

/** A value or the first of several, as Cornerstone's metadata gives multi-valued tags. */
function first(value: number | readonly number[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The header's window (VOI LUT module), the first of several; null when it gives none (or a width below 1). */
export function headerWindowOf(voi: { windowCenter?: number | readonly number[]; windowWidth?: number | readonly number[] } | undefined): WindowLevel | null {
  const windowCenter = first(voi?.windowCenter);
  const windowWidth = first(voi?.windowWidth);
  if (windowCenter === undefined || windowWidth === undefined || windowWidth < 1) return null;
  return { windowWidth, windowCenter };
}

function modalityRange(lowest: number, highest: number, { slope = 1, intercept = 0 }: Rescale): { lower: number; upper: number } {
  const a = lowest * slope + intercept;
  const b = highest * slope + intercept;
  // A negative slope turns the stored range round.
  return { lower: Math.min(a, b), upper: Math.max(a, b) };
}

/** The window from `lower` (black) to `upper` (white); a flat image still gets a window of width 1. */
function windowOfRange(range: { lower: number; upper: number }, fn?: VoiLutFunction): WindowLevel {
  if (fn === 'LINEAR_EXACT' && range.upper === range.lower) return { windowWidth: 1, windowCenter: range.lower };
  return windowLevelOf(range, fn);
}

/** Every modality value the pixel format can hold: stored values from Bits Stored and Pixel Representation, rescaled. */
export function fullRangeWindowOf(pixel: { bitsStored: number; pixelRepresentation: number }, rescale: Rescale, fn?: VoiLutFunction): WindowLevel {
  const bits = pixel.bitsStored;
  const [lowest, highest] = pixel.pixelRepresentation === 1 ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  return windowOfRange(modalityRange(lowest, highest, rescale), fn);
}

/**
 * The drawn image's lowest to highest modality value. `alreadyRescaled`: Cornerstone's loader
 * stores modality values itself when it can (`preScale.scaled`), else the stored values come raw.
 */
export function autoWindowOf(values: ArrayLike<number>, rescale: Rescale, alreadyRescaled: boolean, fn?: VoiLutFunction): WindowLevel | null {
  if (values.length === 0) return null;
  let lowest = Infinity;
  let highest = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lowest) lowest = v;
    if (v > highest) highest = v;
  }
  return windowOfRange(modalityRange(lowest, highest, alreadyRescaled ? {} : rescale), fn);
}
