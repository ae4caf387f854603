import { describe, expect, it } from 'vitest';

import { HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL } from './cohort.ts';
import { HTJ2K_ENCODE_OPTIONS, decodeHtj2k, encodeHtj2k, inspectHtj2kCodestream } from './htj2k.ts';

function noiseImage<T extends Int16Array | Uint16Array>(make: (n: number) => T, width: number, height: number, low: number, high: number): T {
  const pixels = make(width * height);
  let state = 0x12345678;
  for (let i = 0; i < pixels.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) | 0;
    pixels[i] = low + ((state >>> 8) % (high - low + 1));
  }
  return pixels;
}

describe('encodeHtj2k / decodeHtj2k', () => {
  it('round-trips signed 16-bit samples bit for bit, including negative values', () => {
    const pixels = noiseImage((n) => new Int16Array(n), 64, 48, -2000, 3071);
    const codestream = encodeHtj2k({ width: 64, height: 48, pixels });
    const decoded = decodeHtj2k(codestream);
    expect(decoded.width).toBe(64);
    expect(decoded.height).toBe(48);
    expect(decoded.pixels).toBeInstanceOf(Int16Array);
    expect(decoded.pixels).toEqual(pixels);
  });

  it('round-trips unsigned 16-bit samples', () => {
    const pixels = noiseImage((n) => new Uint16Array(n), 33, 17, 0, 65535);
    const decoded = decodeHtj2k(encodeHtj2k({ width: 33, height: 17, pixels }));
    expect(decoded.pixels).toBeInstanceOf(Uint16Array);
    expect(decoded.pixels).toEqual(pixels);
  });

  it('decodes a codestream followed by a DICOM pad byte', () => {
    const pixels = noiseImage((n) => new Int16Array(n), 16, 16, -100, 100);
    const codestream = encodeHtj2k({ width: 16, height: 16, pixels });
    const padded = new Uint8Array(codestream.length + 1);
    padded.set(codestream);
    expect(decodeHtj2k(padded).pixels).toEqual(pixels);
    expect(inspectHtj2kCodestream(padded).trailingBytes).toBe(1);
  });

  it('returns a copy that the next encode does not overwrite', () => {
    const a = encodeHtj2k({ width: 8, height: 8, pixels: new Int16Array(64).fill(7) });
    const copy = a.slice();
    encodeHtj2k({ width: 8, height: 8, pixels: new Int16Array(64).fill(-9) });
    expect(a).toEqual(copy);
  });

  it('refuses what is not a codestream, and keeps working afterwards', () => {
    expect(() => decodeHtj2k(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/SOC/);
    expect(() => encodeHtj2k({ width: 4, height: 4, pixels: new Int16Array(15) })).toThrow(RangeError);
    const pixels = new Int16Array(16).fill(3);
    expect(decodeHtj2k(encodeHtj2k({ width: 4, height: 4, pixels })).pixels).toEqual(pixels);
  });
});

describe('what the encoder writes for each transfer syntax', () => {
  const pixels = noiseImage((n) => new Int16Array(n), 256, 256, -1024, 2000);

  it('writes lossless HTJ2K, LRCP, one tile-part for 1.2.840.10008.1.2.4.201', () => {
    const info = inspectHtj2kCodestream(encodeHtj2k({ width: 256, height: 256, pixels }, HTJ2K_ENCODE_OPTIONS[HTJ2K_LOSSLESS]));
    expect(info).toMatchObject({
      width: 256,
      height: 256,
      components: 1,
      bitDepth: 16,
      signed: true,
      htj2k: true,
      reversible: true,
      progressionOrder: 'LRCP',
      tlmMarker: false,
      tileParts: 1,
      trailingBytes: 0,
    });
  });

  it('writes RPCL with a TLM marker and a tile-part per resolution for 1.2.840.10008.1.2.4.202', () => {
    const codestream = encodeHtj2k({ width: 256, height: 256, pixels }, HTJ2K_ENCODE_OPTIONS[HTJ2K_LOSSLESS_RPCL]);
    const info = inspectHtj2kCodestream(codestream);
    expect(info).toMatchObject({ htj2k: true, reversible: true, progressionOrder: 'RPCL', tlmMarker: true });
    expect(info.tileParts).toBe(info.decompositions + 1);
    expect(decodeHtj2k(codestream).pixels).toEqual(pixels);
  });
});
