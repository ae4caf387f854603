import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { appliedVoiLutFunction, patchVoiLutFunction, VOI_LUT_FUNCTION_EXPRESSION, windowLabel } from './voi-lut-function.ts';

const CREATE_IMAGE = createRequire(import.meta.url).resolve('@cornerstonejs/dicom-image-loader').replace(/index\.js$/, 'imageLoader/createImage.js');

/** The image's voiLUTFunction as the (patched) loader computes it from a VOI LUT module. */
function imageFunctionOf(voiLutModule: { voiLUTFunction?: unknown; voiLutFunction?: unknown }): unknown {
  // The expression the patch puts in, with the loader's own fallbacks after it.
  return new Function('voiLutModule', `return ${VOI_LUT_FUNCTION_EXPRESSION} || voiLutModule.voiLutFunction || undefined;`)(voiLutModule);
}

describe("the header's VOI LUT Function reaches the viewport", () => {
  it('patches the installed image loader once, so it no longer takes the first letter', () => {
    const source = readFileSync(CREATE_IMAGE, 'utf8');
    const patched = patchVoiLutFunction(source);
    expect(patched).toContain(VOI_LUT_FUNCTION_EXPRESSION);
    expect(patched).not.toMatch(/voiLUTFunction\?\.length\s*&&\s*voiLutModule\.voiLUTFunction\[0\]/);
  });

  it('gives the whole value of a string, the first of several, and nothing for none', () => {
    expect(imageFunctionOf({ voiLUTFunction: 'SIGMOID' })).toBe('SIGMOID');
    expect(imageFunctionOf({ voiLUTFunction: 'LINEAR_EXACT' })).toBe('LINEAR_EXACT');
    expect(imageFunctionOf({ voiLUTFunction: ['SIGMOID', 'LINEAR'] })).toBe('SIGMOID');
    expect(imageFunctionOf({})).toBeUndefined();
  });

  it('refuses to patch a loader that no longer has the code it patches', () => {
    expect(() => patchVoiLutFunction('voiLUTFunction: voiLutModule.voiLUTFunction,')).toThrow(/image loader changed/);
  });
});

describe('the function applied and the overlay label', () => {
  it("names Cornerstone's functions, LINEAR for anything else", () => {
    expect(appliedVoiLutFunction('SIGMOID')).toBe('SIGMOID');
    expect(appliedVoiLutFunction('SAMPLED_SIGMOID')).toBe('SIGMOID');
    expect(appliedVoiLutFunction('LINEAR_EXACT')).toBe('LINEAR_EXACT');
    expect(appliedVoiLutFunction('S')).toBe('LINEAR');
    expect(appliedVoiLutFunction(undefined)).toBe('LINEAR');
  });

  it('writes the window, and the function when it is not linear', () => {
    expect(windowLabel({ windowWidth: 100, windowCenter: 40 }, 'LINEAR')).toBe('W 100 L 40');
    expect(windowLabel({ windowWidth: 100, windowCenter: 40 }, undefined)).toBe('W 100 L 40');
    expect(windowLabel({ windowWidth: 100, windowCenter: 40 }, 'SIGMOID')).toBe('W 100 L 40 sigmoid');
    expect(windowLabel({ windowWidth: 100.125, windowCenter: -0.5 }, 'LINEAR_EXACT')).toBe('W 100.13 L -0.5 linear exact');
    expect(windowLabel(null, 'SIGMOID')).toBe('W – L –');
  });
});
