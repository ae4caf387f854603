/**
 * Frames Cornerstone's decoders (dicom-image-loader 5) do not read right, turned into a form they
 * do before they reach them:
 *
 *  - BitsAllocated 1 (segmentations), native: the loader hands the packed bytes on as if each were
 *    a pixel, so an image of 512 × 512 had 32,768 values. Here every bit becomes one byte, 0 or 1
 *    (DICOM packs the bits of a frame little-endian within each byte: pixel i is bit i % 8 of byte
 *    ⌊i / 8⌋; a frame of a multi-frame object may start mid-byte, which `bitOffset` gives).
 *  - RLE Lossless with BitsAllocated 32 (RT Dose, 32-bit colour): the loader's RLE decoder knows
 *    8, 16 and 1 bits only and throws; with BitsAllocated 16 and three samples (16-bit colour) it
 *    reads the first two segments only, as if the frame were greyscale, and the colour came out as
 *    stripes of 0xFF00. Decoded here (PS3.5 G.3: one segment per byte of each sample, most
 *    significant byte first) into native little-endian frames.
 *
 * Everything else is passed on untouched.
 */

/** Explicit VR Little Endian: what a frame is once turned into native bytes here. */
export const EXPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const IMPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2';
const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

/** The Image Pixel attributes a frame's layout depends on. */
export interface PixelLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  /** 0: colour-by-pixel (R G B R G B …); 1: colour-by-plane. */
  planarConfiguration: number;
}

export interface NativeFrame {
  bytes: Uint8Array;
  transferSyntax: string;
}

/**
 * Whether frames of this layout need `toDecodableFrame`: the viewer then fetches them through its
 * own frame loader (frame-ranges.ts) even when the object has a single frame.
 */
export function needsOwnDecoding(layout: Pick<PixelLayout, 'bitsAllocated'> & Partial<Pick<PixelLayout, 'samplesPerPixel'>>): boolean {
  return layout.bitsAllocated === 1 || layout.bitsAllocated === 32 || isColour16(layout);
}

function isColour16(layout: Partial<Pick<PixelLayout, 'bitsAllocated' | 'samplesPerPixel'>>): boolean {
  return layout.bitsAllocated === 16 && (layout.samplesPerPixel ?? 1) > 1;
}

/** A frame as the server sent it, made readable by Cornerstone's decoders (see the module comment). */
export function toDecodableFrame(frame: NativeFrame, layout: PixelLayout, bitOffset = 0): NativeFrame {
  const native = frame.transferSyntax === EXPLICIT_LITTLE_ENDIAN || frame.transferSyntax === IMPLICIT_LITTLE_ENDIAN;
  if (layout.bitsAllocated === 1 && native) {
    return { bytes: unpackBits(frame.bytes, layout.rows * layout.columns * layout.samplesPerPixel, bitOffset), transferSyntax: EXPLICIT_LITTLE_ENDIAN };
  }
  if ((layout.bitsAllocated === 32 || isColour16(layout)) && frame.transferSyntax === RLE_LOSSLESS) {
    return { bytes: decodeRle(frame.bytes, layout), transferSyntax: EXPLICIT_LITTLE_ENDIAN };
  }
  return frame;
}

/** One byte (0 or 1) per bit, for `count` pixels from bit `bitOffset` of `packed`. */
export function unpackBits(packed: Uint8Array, count: number, bitOffset = 0): Uint8Array {
  const needed = Math.ceil((bitOffset + count) / 8);
  if (packed.length < needed) throw new RangeError(`1-bit frame holds ${packed.length} bytes, ${needed} needed`);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i += 1) {
    const bit = bitOffset + i;
    out[i] = ((packed[bit >> 3] ?? 0) >> (bit & 7)) & 1;
  }
  return out;
}

/**
 * One RLE frame (PS3.5 G): a 64-byte header (the segment count, then up to 15 segment offsets),
 * then the segments, each a PackBits run of one byte of every pixel. Returns the native
 * little-endian frame, in the object's planar configuration.
 */
export function decodeRle(frame: Uint8Array, layout: PixelLayout): Uint8Array {
  const bytesPerSample = layout.bitsAllocated / 8;
  const pixels = layout.rows * layout.columns;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.byteLength < 64) throw new RangeError('RLE frame shorter than its header');
  const segments = view.getUint32(0, true);
  const expected = layout.samplesPerPixel * bytesPerSample;
  if (segments !== expected) throw new RangeError(`RLE frame has ${segments} segments, ${expected} expected`);
  const out = new Uint8Array(pixels * expected);
  for (let segment = 0; segment < segments; segment += 1) {
    const start = view.getUint32(4 + segment * 4, true);
    const end = segment + 1 < segments ? view.getUint32(8 + segment * 4, true) : frame.byteLength;
    const sample = Math.floor(segment / bytesPerSample);
    // Segments run from the most significant byte; little-endian puts it last.
    const byte = bytesPerSample - 1 - (segment % bytesPerSample);
    const stride = layout.planarConfiguration === 1 ? bytesPerSample : expected;
    const first = layout.planarConfiguration === 1 ? sample * pixels * bytesPerSample + byte : sample * bytesPerSample + byte;
    const decoded = unpackRun(frame, start, Math.min(end, frame.byteLength), pixels);
    for (let i = 0; i < pixels; i += 1) out[first + i * stride] = decoded[i] ?? 0;
  }
  return out;
}

/** PackBits: n in 0…127 copies the next n + 1 bytes, n in -127…-1 repeats the next byte 1 - n times, -128 is nothing. */
function unpackRun(data: Uint8Array, start: number, end: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = start;
  let written = 0;
  while (at < end && written < length) {
    const header = ((data[at] ?? 0) << 24) >> 24;
    at += 1;
    if (header >= 0) {
      const count = Math.min(header + 1, length - written, end - at);
      out.set(data.subarray(at, at + count), written);
      written += count;
      at += header + 1;
    } else if (header !== -128) {
      out.fill(data[at] ?? 0, written, Math.min(length, written + 1 - header));
      written = Math.min(length, written + 1 - header);
      at += 1;
    }
  }
  if (written < length) throw new RangeError(`RLE segment holds ${written} of ${length} bytes`);
  return out;
}
