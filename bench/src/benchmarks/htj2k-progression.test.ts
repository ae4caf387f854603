import { HTJ2K_ENCODE_OPTIONS, HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, decodeHtj2k, encodeHtj2k } from '@reading-station/demo-data';
import { describe, expect, it } from 'vitest';
import { leadingTileParts, tilePartStarts } from './htj2k-progression.ts';

const width = 64;
const height = 48;
const pixels = Int16Array.from({ length: width * height }, (_, i) => ((i * 37) % 4000) - 1024);

describe('HTJ2K tile-parts', () => {
  it('finds one tile-part per resolution in an RPCL (.202) codestream and none to cut in a .201 one', () => {
    const rpcl = encodeHtj2k({ width, height, pixels }, HTJ2K_ENCODE_OPTIONS[HTJ2K_LOSSLESS_RPCL]);
    const lrcp = encodeHtj2k({ width, height, pixels }, HTJ2K_ENCODE_OPTIONS[HTJ2K_LOSSLESS]);
    // Five decompositions: six resolutions.
    expect(tilePartStarts(rpcl)).toHaveLength(6);
    expect(tilePartStarts(lrcp)).toHaveLength(1);
    expect(leadingTileParts(lrcp, 4)).toBeNull();
  });

  it("decodes the leading tile-parts on their own to the same reduced-resolution image as the whole codestream's", () => {
    const rpcl = encodeHtj2k({ width, height, pixels }, HTJ2K_ENCODE_OPTIONS[HTJ2K_LOSSLESS_RPCL]);
    const prefix = leadingTileParts(rpcl, 4);
    expect(prefix?.length).toBeLessThan(rpcl.length);
    const fromPrefix = decodeHtj2k(prefix as Uint8Array, { decodeLevel: 2 });
    const fromWhole = decodeHtj2k(rpcl, { decodeLevel: 2 });
    expect(fromPrefix).toMatchObject({ width: 16, height: 12 });
    expect(Array.from(fromPrefix.pixels)).toEqual(Array.from(fromWhole.pixels));
    // And the whole codestream still decodes to every pixel.
    expect(Array.from(decodeHtj2k(rpcl).pixels)).toEqual(Array.from(pixels));
  });
});
