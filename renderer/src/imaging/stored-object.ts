/**
 * Frames cut by the viewer out of an object as the archive stores it (WADO-RS instance retrieval,
 * `transfer-syntax=*`), for the two kinds of native pixel data whose frames Orthanc does not serve
 * as the modality stored them:
 *
 *  - 32 bits a sample, big endian: Orthanc (DCMTK) turns Explicit VR Big Endian into little endian
 *    by swapping the bytes of each 16-bit word, as PS3.5 defines OW, so every 32-bit value arrives
 *    with its halves swapped — and DICOMweb does not say the object was big endian. The viewer
 *    reads such objects as stored and swaps each value's four bytes itself (what pydicom does).
 *    DICOMweb metadata names no transfer syntax, so every native 32-bit object small enough
 *    (MAX_STORED_OBJECT_BYTES) is read this way; a compressed one goes on to frame ranges.
 *  - frames Orthanc refuses to cut (HTTP 400), such as uncompressed YBR_FULL_422 (two samples a
 *    pixel): read from the object as stored. A YBR_FULL_422 frame is turned into RGB here (DICOM's
 *    YCbCr full-range equations, PS3.3 C.7.6.3.1.2, as pydicom converts it): the loader converts
 *    only frames of the length its 4:2:2 test expects, which is that of 4:2:0, and would take the
 *    Y Y Cb Cr bytes for RGB.
 *
 * Whatever the stored object cannot give (compressed, deflated, truncated, 1-bit, unreadable)
 * answers null, and the frame keeps the failure it had.
 */
// The package is a UMD bundle: its default export is the library in Vite and in Node alike.
import dicomParser from 'dicom-parser';
import { EXPLICIT_LITTLE_ENDIAN, type NativeFrame } from './pixel-data.ts';

const IMPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2';
const EXPLICIT_BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** The largest object read whole to cut 32-bit frames from it (a range of frames is at most 16). */
export const MAX_STORED_OBJECT_BYTES = 64 * 1024 * 1024;

/** Bytes of one native frame: YBR 4:2:2 holds two samples a pixel (Y Y Cb Cr for each pair). */
export function nativeFrameBytes(layout: { rows: number; columns: number; samplesPerPixel: number; bitsAllocated: number; photometricInterpretation?: string }): number {
  const samples = /^YBR_(?:FULL|PARTIAL)_422$/.test(layout.photometricInterpretation ?? '') ? 2 : layout.samplesPerPixel;
  return (layout.rows * layout.columns * samples * layout.bitsAllocated) / 8;
}

/**
 * The frames (in order) of a Part 10 object with native pixel data, as little-endian bytes; null
 * when the object holds anything else or less than its header says.
 */
export function nativeFramesOf(object: Uint8Array): NativeFrame[] | null {
  let dataSet: dicomParser.DataSet;
  try {
    dataSet = dicomParser.parseDicom(object);
  } catch {
    return null;
  }
  const transferSyntax = dataSet.string('x00020010')?.trim() ?? '';
  const pixelData = dataSet.elements['x7fe00010'];
  if (!pixelData || pixelData.encapsulatedPixelData) return null;
  if (transferSyntax !== IMPLICIT_LITTLE_ENDIAN && transferSyntax !== EXPLICIT_LITTLE_ENDIAN && transferSyntax !== EXPLICIT_BIG_ENDIAN) return null;
  const layout = {
    rows: dataSet.uint16('x00280010') ?? 0,
    columns: dataSet.uint16('x00280011') ?? 0,
    samplesPerPixel: dataSet.uint16('x00280002') ?? 1,
    bitsAllocated: dataSet.uint16('x00280100') ?? 0,
    photometricInterpretation: dataSet.string('x00280004')?.trim() ?? '',
  };
  if (![8, 16, 32, 64].includes(layout.bitsAllocated)) return null;
  const size = nativeFrameBytes(layout);
  // NumberOfFrames as written, its leading digits (pydicom's test file badVR.dcm says "1A").
  const count = Math.max(1, dataSet.intString('x00280008') || 1);
  if (!Number.isInteger(size) || size <= 0 || pixelData.length < size * count || pixelData.dataOffset + size * count > object.length) return null;
  const bytesPerSample = layout.bitsAllocated / 8;
  const ybr422 = layout.photometricInterpretation === 'YBR_FULL_422';
  if (ybr422 && (layout.bitsAllocated !== 8 || layout.columns % 2 !== 0)) return null;
  return Array.from({ length: count }, (_, i) => {
    const start = pixelData.dataOffset + i * size;
    const bytes = object.slice(start, start + size);
    if (transferSyntax === EXPLICIT_BIG_ENDIAN && bytesPerSample > 1) swapBytes(bytes, bytesPerSample);
    return { bytes: ybr422 ? rgbOfYbrFull422(bytes) : bytes, transferSyntax: EXPLICIT_LITTLE_ENDIAN };
  });
}

/**
 * RGB (by pixel) of an 8-bit YBR_FULL_422 frame: each pair of pixels is stored Y1 Y2 Cb Cr, both
 * sharing the pair's Cb and Cr; DICOM's full-range YCbCr equations, rounded and clamped to 0…255.
 */
export function rgbOfYbrFull422(frame: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((frame.length / 4) * 6);
  const clamp = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  for (let at = 0, out = 0; at + 4 <= frame.length; at += 4) {
    const cb = (frame[at + 2] ?? 0) - 128;
    const cr = (frame[at + 3] ?? 0) - 128;
    for (const y of [frame[at] ?? 0, frame[at + 1] ?? 0]) {
      rgb[out++] = clamp(y + 1.402 * cr);
      rgb[out++] = clamp(y - 0.344136 * cb - 0.714136 * cr);
      rgb[out++] = clamp(y + 1.772 * cb);
    }
  }
  return rgb;
}

/** Reverses the bytes of every `width`-byte value, in place. */
export function swapBytes(bytes: Uint8Array, width: number): void {
  for (let at = 0; at + width <= bytes.length; at += width) bytes.subarray(at, at + width).reverse();
}
