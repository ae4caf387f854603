import { describe, expect, it } from 'vitest';
import { voiRangeOf } from './ct-presets.ts';
import { autoWindowOf, fullRangeWindowOf, headerWindowOf } from './image-windows.ts';

describe('the windows every modality is offered', () => {
  it("Header is the header's first window, and none when the header has none", () => {
    expect(headerWindowOf({ windowCenter: [40, 300], windowWidth: [400, 2000] })).toEqual({ windowWidth: 400, windowCenter: 40 });
    expect(headerWindowOf({ windowCenter: 600, windowWidth: 1600 })).toEqual({ windowWidth: 1600, windowCenter: 600 });
    expect(headerWindowOf({})).toBeNull();
    expect(headerWindowOf(undefined)).toBeNull();
    expect(headerWindowOf({ windowCenter: [], windowWidth: [] })).toBeNull();
    // PS3.3 C.11.2.1.2: a width below 1 is not a window.
    expect(headerWindowOf({ windowCenter: 0, windowWidth: 0 })).toBeNull();
  });

  it('Full range of 8-bit and 1-bit unsigned data maps the lowest value to black and the highest to white', () => {
    expect(fullRangeWindowOf({ bitsStored: 8, pixelRepresentation: 0 }, {})).toEqual({ windowWidth: 256, windowCenter: 128 });
    expect(voiRangeOf(fullRangeWindowOf({ bitsStored: 8, pixelRepresentation: 0 }, {}))).toEqual({ lower: 0, upper: 255 });
    expect(fullRangeWindowOf({ bitsStored: 1, pixelRepresentation: 0 }, {})).toEqual({ windowWidth: 2, windowCenter: 1 });
    expect(voiRangeOf(fullRangeWindowOf({ bitsStored: 1, pixelRepresentation: 0 }, {}))).toEqual({ lower: 0, upper: 1 });
  });

  it('Full range of signed data goes through the rescale', () => {
    // 16 bits signed, CT's usual intercept: -32768-1024 .. 32767-1024.
    const signed = fullRangeWindowOf({ bitsStored: 16, pixelRepresentation: 1 }, { slope: 1, intercept: -1024 });
    expect(voiRangeOf(signed)).toEqual({ lower: -33792, upper: 31743 });
    expect(signed).toEqual({ windowWidth: 65536, windowCenter: -1024 });
    // 12 bits unsigned with slope 1 / intercept -1024: -1024 .. 3071.
    expect(fullRangeWindowOf({ bitsStored: 12, pixelRepresentation: 0 }, { slope: 1, intercept: -1024 })).toEqual({ windowWidth: 4096, windowCenter: 1024 });
    // A fractional slope scales the range; a negative one turns it round.
    expect(voiRangeOf(fullRangeWindowOf({ bitsStored: 8, pixelRepresentation: 0 }, { slope: 0.5, intercept: 10 }))).toEqual({ lower: 10, upper: 137.5 });
    expect(voiRangeOf(fullRangeWindowOf({ bitsStored: 8, pixelRepresentation: 0 }, { slope: -1, intercept: 0 }))).toEqual({ lower: -255, upper: 0 });
  });

  it('Full range with LINEAR_EXACT maps the ends exactly', () => {
    expect(voiRangeOf(fullRangeWindowOf({ bitsStored: 12, pixelRepresentation: 1 }, {}, 'LINEAR_EXACT'), 'LINEAR_EXACT')).toEqual({ lower: -2048, upper: 2047 });
  });

  it("Auto is the drawn image's lowest to highest modality value", () => {
    const raw = Int16Array.from([-5, 10, 3, 0]);
    // Stored values still raw: rescaled here (2 × -5 + 1 .. 2 × 10 + 1).
    expect(voiRangeOf(autoWindowOf(raw, { slope: 2, intercept: 1 }, false)!)).toEqual({ lower: -9, upper: 21 });
    // Already modality values (the loader rescaled them): taken as they are.
    expect(voiRangeOf(autoWindowOf(raw, { slope: 2, intercept: 1 }, true)!)).toEqual({ lower: -5, upper: 10 });
    expect(autoWindowOf(Uint8Array.from([0, 1, 1, 0]), {}, false)).toEqual({ windowWidth: 2, windowCenter: 1 });
    expect(autoWindowOf(Uint16Array.from([700, 700]), {}, false)).toEqual({ windowWidth: 1, windowCenter: 700.5 });
    expect(autoWindowOf(Uint16Array.from([700, 700]), {}, false, 'LINEAR_EXACT')).toEqual({ windowWidth: 1, windowCenter: 700 });
    expect(autoWindowOf(new Uint8Array(0), {}, false)).toBeNull();
  });
});
