import { describe, expect, it } from 'vitest';
import { decodeRle, EXPLICIT_LITTLE_ENDIAN, needsOwnDecoding, toDecodableFrame, unpackBits, type PixelLayout } from './pixel-data.ts';

const RLE = '1.2.840.10008.1.2.5';

/** An RLE frame of the given segments, each stored as literal runs of up to 128 bytes (PS3.5 G.3). */
function rleFrame(segments: number[][]): Uint8Array {
  const encoded = segments.map((segment) => {
    const out: number[] = [];
    for (let i = 0; i < segment.length; i += 128) {
      const run = segment.slice(i, i + 128);
      out.push(run.length - 1, ...run);
    }
    return out;
  });
  const header = new DataView(new ArrayBuffer(64));
  header.setUint32(0, segments.length, true);
  let offset = 64;
  encoded.forEach((segment, i) => {
    header.setUint32(4 + i * 4, offset, true);
    offset += segment.length;
  });
  return new Uint8Array([...new Uint8Array(header.buffer), ...encoded.flat()]);
}

const grey32: PixelLayout = { rows: 1, columns: 2, samplesPerPixel: 1, bitsAllocated: 32, planarConfiguration: 0 };

describe('1-bit frames', () => {
  it('unpacks bits little-endian within each byte, one byte (0 or 1) per pixel', () => {
    expect([...unpackBits(new Uint8Array([0b00000101, 0b10000000]), 16)]).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('reads a frame that starts mid-byte (a later frame of a multi-frame object)', () => {
    expect([...unpackBits(new Uint8Array([0b11100000, 0b00000010]), 5, 5)]).toEqual([1, 1, 1, 0, 1]);
  });

  it('refuses a frame shorter than its pixels', () => {
    expect(() => unpackBits(new Uint8Array(1), 9)).toThrow(RangeError);
  });

  it('turns a native 1-bit frame into 8-bit values, in Explicit VR Little Endian', () => {
    const layout: PixelLayout = { rows: 2, columns: 4, samplesPerPixel: 1, bitsAllocated: 1, planarConfiguration: 0 };
    const frame = toDecodableFrame({ bytes: new Uint8Array([0b01101001]), transferSyntax: '1.2.840.10008.1.2' }, layout);
    expect(frame.transferSyntax).toBe(EXPLICIT_LITTLE_ENDIAN);
    expect([...frame.bytes]).toEqual([1, 0, 0, 1, 0, 1, 1, 0]);
  });
});

describe('32-bit RLE frames', () => {
  it('assembles each pixel from four segments, most significant byte first, into little-endian', () => {
    const frame = rleFrame([
      [0x01, 0x0a],
      [0x02, 0x0b],
      [0x03, 0x0c],
      [0x04, 0x0d],
    ]);
    const decoded = decodeRle(frame, grey32);
    expect([...new Uint32Array(decoded.buffer)]).toEqual([0x01020304, 0x0a0b0c0d]);
  });

  it('expands replicate runs and skips the no-op header -128', () => {
    const layout: PixelLayout = { rows: 1, columns: 3, samplesPerPixel: 1, bitsAllocated: 32, planarConfiguration: 0 };
    const header = new DataView(new ArrayBuffer(64));
    header.setUint32(0, 4, true);
    // Segment 0: -2 → repeat 0x7f three times; segments 1–3: -128 (nothing), then a literal run.
    const segments = [[0xfe, 0x7f], [0x80, 0x02, 1, 2, 3], [0x02, 0, 0, 0], [0x02, 9, 8, 7]];
    let offset = 64;
    segments.forEach((segment, i) => {
      header.setUint32(4 + i * 4, offset, true);
      offset += segment.length;
    });
    const frame = new Uint8Array([...new Uint8Array(header.buffer), ...segments.flat()]);
    expect([...new Uint32Array(decodeRle(frame, layout).buffer)]).toEqual([0x7f010009, 0x7f020008, 0x7f030007]);
  });

  it('interleaves the samples of a colour frame by pixel, or keeps them by plane, as the header says', () => {
    const pixels = [
      [0x11223344, 0x55667788, 0x99aabbcc],
      [0x01020304, 0x05060708, 0x090a0b0c],
    ];
    const bytesOf = (value: number) => [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
    // Segments: sample 0 MSB … LSB, sample 1 …, each across both pixels.
    const segments = [0, 1, 2].flatMap((sample) => [0, 1, 2, 3].map((byte) => pixels.map((p) => bytesOf(p[sample] ?? 0)[byte] ?? 0)));
    const layout: PixelLayout = { rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 32, planarConfiguration: 0 };
    const byPixel = decodeRle(rleFrame(segments), layout);
    expect([...new Uint32Array(byPixel.buffer)]).toEqual(pixels.flat());
    const byPlane = decodeRle(rleFrame(segments), { ...layout, planarConfiguration: 1 });
    expect([...new Uint32Array(byPlane.buffer)]).toEqual([0, 1, 2].flatMap((sample) => pixels.map((p) => p[sample])));
  });

  it('refuses a frame whose segments do not match the header, or that ends early', () => {
    expect(() => decodeRle(rleFrame([[1, 2]]), grey32)).toThrow(/1 segments, 4 expected/);
    expect(() => decodeRle(rleFrame([[1], [2], [3], [4]]), grey32)).toThrow(/holds 1 of 2 bytes/);
  });

  it('decodes 16-bit colour too, from six segments, where Cornerstone reads two', () => {
    const pixels = [
      [0xffff, 0x0000, 0x8080],
      [0x7f7f, 0x1234, 0xfedc],
    ];
    const segments = [0, 1, 2].flatMap((sample) => [0, 1].map((byte) => pixels.map((p) => (byte === 0 ? (p[sample] ?? 0) >> 8 : (p[sample] ?? 0) & 0xff))));
    const layout: PixelLayout = { rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 16, planarConfiguration: 0 };
    const frame = toDecodableFrame({ bytes: rleFrame(segments), transferSyntax: RLE }, layout);
    expect(frame.transferSyntax).toBe(EXPLICIT_LITTLE_ENDIAN);
    expect([...new Uint16Array(frame.bytes.buffer)]).toEqual(pixels.flat());
    expect(needsOwnDecoding({ bitsAllocated: 16, samplesPerPixel: 3 })).toBe(true);
    expect(needsOwnDecoding({ bitsAllocated: 16, samplesPerPixel: 1 })).toBe(false);
  });

  it('is decoded here; 8- and 16-bit greyscale RLE and compressed 1-bit frames go to Cornerstone untouched', () => {
    const frame = rleFrame([[1, 2], [3, 4], [5, 6], [7, 8]]);
    expect(toDecodableFrame({ bytes: frame, transferSyntax: RLE }, grey32).transferSyntax).toBe(EXPLICIT_LITTLE_ENDIAN);
    const sixteen = { bytes: frame, transferSyntax: RLE };
    expect(toDecodableFrame(sixteen, { ...grey32, bitsAllocated: 16 })).toBe(sixteen);
    const oneBitRle = { bytes: frame, transferSyntax: RLE };
    expect(toDecodableFrame(oneBitRle, { ...grey32, bitsAllocated: 1 })).toBe(oneBitRle);
    expect([1, 8, 16, 32].map((bitsAllocated) => needsOwnDecoding({ bitsAllocated }))).toEqual([true, false, false, true]);
  });
});
