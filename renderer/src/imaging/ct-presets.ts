/**
 * Window/level as DICOM defines it (PS3.3 C.11.2.1.2), and the window presets the viewer offers
 * per modality.
 *
 * Cornerstone holds a window as the range of modality values it maps (`voiRange`, lower..upper);
 * the header, the presets and the overlay speak DICOM's Window Width/Center. The two are converted
 * with DICOM's own functions, the same ones Cornerstone applies to a header window:
 *  - LINEAR (the default) and SAMPLED SIGMOID: lower = c − 0.5 − (w − 1)/2, upper = c − 0.5 + (w − 1)/2;
 *  - LINEAR_EXACT: lower = c − w/2, upper = c + w/2.
 * so a header window of W 100 / L 40 is shown as exactly that.
 */

/** DICOM Window Width and Window Center, in modality units (HU for CT). */
export interface WindowLevel {
  windowWidth: number;
  windowCenter: number;
}

export type VoiLutFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' | 'SAMPLED_SIGMOID';

export interface CtWindowPreset extends WindowLevel {
  id: 'brain' | 'lung' | 'bone' | 'abdomen';
  label: string;
  /** Keyboard shortcut. */
  key: string;
}

/** The usual CT windows (width/level in HU), as most PACS viewers ship them. */
export const CT_WINDOW_PRESETS: readonly CtWindowPreset[] = [
  { id: 'brain', label: 'Brain', windowWidth: 80, windowCenter: 40, key: '1' },
  { id: 'lung', label: 'Lung', windowWidth: 1500, windowCenter: -600, key: '2' },
  { id: 'bone', label: 'Bone', windowWidth: 2000, windowCenter: 300, key: '3' },
  { id: 'abdomen', label: 'Abdomen', windowWidth: 400, windowCenter: 50, key: '4' },
];

/** Hounsfield presets mean something only on CT: every other modality gets none. */
export function windowPresetsFor(modality: string): readonly CtWindowPreset[] {
  return modality.trim().toUpperCase() === 'CT' ? CT_WINDOW_PRESETS : [];
}

function isExact(fn: VoiLutFunction | undefined): boolean {
  return fn === 'LINEAR_EXACT';
}

/** The range of modality values a DICOM window maps from black to white. */
export function voiRangeOf({ windowWidth, windowCenter }: WindowLevel, fn?: VoiLutFunction): { lower: number; upper: number } {
  if (isExact(fn)) return { lower: windowCenter - windowWidth / 2, upper: windowCenter + windowWidth / 2 };
  return { lower: windowCenter - 0.5 - (windowWidth - 1) / 2, upper: windowCenter - 0.5 + (windowWidth - 1) / 2 };
}

/** The DICOM window of a range of modality values: the inverse of `voiRangeOf`. */
export function windowLevelOf({ lower, upper }: { lower: number; upper: number }, fn?: VoiLutFunction): WindowLevel {
  if (isExact(fn)) return { windowWidth: upper - lower, windowCenter: (upper + lower) / 2 };
  return { windowWidth: Math.abs(upper - lower) + 1, windowCenter: (lower + upper + 1) / 2 };
}

/**
 * A window value as the overlay and the toolbar write it: up to two decimals, so that a window
 * whose centre falls on a half (Auto, Full range, a fractional rescale) is shown as it is applied.
 */
export function formatWindowValue(value: number): string {
  return String(Math.round(value * 100) / 100);
}
