import { describe, expect, it } from 'vitest';
import { voiRangeOf, windowLevelOf, windowPresetsFor } from './ct-presets.ts';

describe('window/level as DICOM defines it', () => {
  it('maps a header window of W 100 / L 40 with the linear function and reads it back unchanged', () => {
    // PS3.3 C.11.2.1.2.1: x <= c - 0.5 - (w-1)/2 → black, x > c - 0.5 + (w-1)/2 → white.
    expect(voiRangeOf({ windowWidth: 100, windowCenter: 40 })).toEqual({ lower: -10, upper: 89 });
    expect(windowLevelOf({ lower: -10, upper: 89 })).toEqual({ windowWidth: 100, windowCenter: 40 });
  });

  it('round-trips every preset and odd windows', () => {
    for (const w of [{ windowWidth: 1, windowCenter: 0 }, { windowWidth: 4095, windowCenter: 2047.5 }, { windowWidth: 1500, windowCenter: -600 }]) {
      expect(windowLevelOf(voiRangeOf(w))).toEqual(w);
      expect(windowLevelOf(voiRangeOf(w, 'LINEAR_EXACT'), 'LINEAR_EXACT')).toEqual(w);
    }
  });

  it('uses the exact function when the header says LINEAR_EXACT', () => {
    expect(voiRangeOf({ windowWidth: 100, windowCenter: 40 }, 'LINEAR_EXACT')).toEqual({ lower: -10, upper: 90 });
  });

  it('offers Hounsfield presets on CT only', () => {
    expect(windowPresetsFor('CT').map((p) => p.label)).toEqual(['Brain', 'Lung', 'Bone', 'Abdomen']);
    for (const modality of ['MR', 'NM', 'PT', 'CR', 'OT', 'US', '']) expect(windowPresetsFor(modality)).toEqual([]);
  });
});
