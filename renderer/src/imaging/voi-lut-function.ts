/**
 * The header's VOI LUT Function (0028,1056) as Cornerstone is to apply it. Its image loader
 * (dicom-image-loader 5, `imageLoader/createImage.js`) takes `voiLUTFunction[0]` of the VOI LUT
 * module, but the WADO-RS metadata provider gives the value as a string, so the image got its first
 * letter ("S", "L") and every header function became LINEAR: a SIGMOID window was drawn as a linear
 * one, LINEAR_EXACT as LINEAR. Patched (by the renderer's Vite build, as j2k-signedness.ts is) to
 * take the whole string, or the first value where a provider gives several; the build fails if the
 * loader no longer has the code it patches. The viewport then maps with the header's function from
 * the first draw, keeps it through drags and presets (they change the window, not the function),
 * and the overlay names it (`windowLabel`).
 */
import { formatWindowValue, type VoiLutFunction, type WindowLevel } from './ct-presets.ts';

const FIRST_LETTER = /\(voiLutModule\.voiLUTFunction\?\.length\s*&&\s*voiLutModule\.voiLUTFunction\[0\]\)/g;

/** The loader's expression for the image's VOI LUT Function: the value, or the first of several. */
export const VOI_LUT_FUNCTION_EXPRESSION = '(Array.isArray(voiLutModule.voiLUTFunction) ? voiLutModule.voiLUTFunction[0] : voiLutModule.voiLUTFunction)';

export function patchVoiLutFunction(source: string): string {
  if ((source.match(FIRST_LETTER) ?? []).length !== 1) {
    throw new Error("Cornerstone's image loader changed: `voiLutModule.voiLUTFunction[0]` is not there once; check the patch (voi-lut-function.ts)");
  }
  return source.replace(FIRST_LETTER, VOI_LUT_FUNCTION_EXPRESSION);
}

/** The functions a viewport applies, as Cornerstone names them ('SIGMOID' is DICOM's SIGMOID). */
export type AppliedVoiLutFunction = Exclude<VoiLutFunction, 'SAMPLED_SIGMOID'>;

/** The function a viewport applies; LINEAR when unknown, as Cornerstone does. */
export function appliedVoiLutFunction(value: unknown): AppliedVoiLutFunction {
  return value === 'SIGMOID' || value === 'SAMPLED_SIGMOID' ? 'SIGMOID' : value === 'LINEAR_EXACT' ? 'LINEAR_EXACT' : 'LINEAR';
}

/**
 * The window as the overlay writes it: `W 100 L 40`, with the function when it is not DICOM's
 * default linear one (`W 100 L 40 sigmoid`, `W 100 L 40 linear exact`), since the same numbers
 * give other greys under another function.
 */
export function windowLabel(voi: WindowLevel | null, fn: VoiLutFunction | null | undefined): string {
  if (!voi) return 'W – L –';
  const base = `W ${formatWindowValue(voi.windowWidth)} L ${formatWindowValue(voi.windowCenter)}`;
  const applied = appliedVoiLutFunction(fn);
  return applied === 'LINEAR' ? base : `${base} ${applied === 'SIGMOID' ? 'sigmoid' : 'linear exact'}`;
}
