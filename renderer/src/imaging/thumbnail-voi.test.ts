import { describe, expect, it } from 'vitest';
import { greyOf, initialWindowOf } from './thumbnail-voi.ts';

describe('thumbnails windowed like the main view', () => {
  it("start from the header's first window, else the image's own lowest to highest value", () => {
    const header = { windowWidth: 2000, windowCenter: 2000 };
    const auto = { windowWidth: 4096, windowCenter: 2048 };
    expect(initialWindowOf({ header, auto })).toBe(header);
    expect(initialWindowOf({ header: null, auto })).toBe(auto);
    expect(initialWindowOf({ header: null, auto: null })).toBeNull();
  });

  it('map modality values with the DICOM linear function, black below the window and white above', () => {
    const w = { windowWidth: 2000, windowCenter: 2000 };
    // Linear: lower = 2000 - 0.5 - 999.5 = 1000, upper = 2999.
    expect(greyOf(1000, w, 'LINEAR', false)).toBe(0);
    expect(greyOf(3000, w, 'LINEAR', false)).toBe(255);
    expect(greyOf(2000, w, undefined, false)).toBe(128); // (0.5/1999 + 0.5) × 255 = 127.56
    expect(greyOf(1500, w, undefined, false)).toBe(64); // (-499.5/1999 + 0.5) × 255 = 63.63
    // LINEAR_EXACT: c ± w/2.
    expect(greyOf(1000, w, 'LINEAR_EXACT', false)).toBe(0);
    expect(greyOf(1500, w, 'LINEAR_EXACT', false)).toBe(64); // 0.25 × 255 = 63.75
    expect(greyOf(2000, w, 'SIGMOID', false)).toBe(128); // the centre is half-way
    expect(greyOf(2500, w, 'SIGMOID', false)).toBe(Math.round(255 / (1 + Math.exp(-1))));
  });

  it('show MONOCHROME1 inverted: the lowest values white', () => {
    const w = { windowWidth: 2000, windowCenter: 2000 };
    expect(greyOf(500, w, 'LINEAR', true)).toBe(255);
    expect(greyOf(3500, w, 'LINEAR', true)).toBe(0);
    expect(greyOf(1500, w, 'LINEAR', true)).toBe(255 - 64);
  });
});
