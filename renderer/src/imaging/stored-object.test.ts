import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeFrameBytes, nativeFramesOf, rgbOfYbrFull422, swapBytes } from './stored-object.ts';

/** pydicom's own test files: DICOM made by others (README, what setup installs). */
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const read = (name: string) => new Uint8Array(readFileSync(path.join(PYDICOM_FILES, name)));
const uint32s = (bytes: Uint8Array | undefined) => [...new Uint32Array((bytes ?? new Uint8Array()).slice().buffer)];

describe('frames cut out of an object as stored', () => {
  it('reads 32-bit big endian values as pydicom does: every value\'s four bytes reversed (rtdose_expb: 15 frames of 10 × 10)', () => {
    const frames = nativeFramesOf(read('rtdose_expb.dcm'));
    expect(frames).toHaveLength(15);
    expect(frames?.every((f) => f.transferSyntax === '1.2.840.10008.1.2.1' && f.bytes.length === 10 * 10 * 4)).toBe(true);
    // pydicom's pixel_array of the same file: frame 1 starts 1249000, 1249000, 1250000; frame 15 ends 801000, 800000, 799000.
    expect(uint32s(frames?.[0]?.bytes).slice(0, 3)).toEqual([1249000, 1249000, 1250000]);
    expect(uint32s(frames?.[14]?.bytes).slice(-3)).toEqual([801000, 800000, 799000]);
    // The same dose in little endian (rtdose.dcm) gives the same frames.
    const little = nativeFramesOf(read('rtdose.dcm'));
    expect(little?.map((f) => [...f.bytes])).toEqual(frames?.map((f) => [...f.bytes]));
  });

  it('cuts uncompressed YBR_FULL_422 by two samples a pixel (Y Y Cb Cr) and gives the RGB pydicom converts it to', () => {
    const frames = nativeFramesOf(read('SC_ybr_full_422_uncompressed.dcm'));
    expect(frames).toHaveLength(1);
    const rgb = frames?.[0]?.bytes ?? new Uint8Array();
    expect(rgb.length).toBe(100 * 100 * 3);
    // pydicom: convert_color_space(pixel_array, 'YBR_FULL', 'RGB') at (0, 0), (1, 0), (50, 50), (99, 99).
    const at = (x: number, y: number) => [...rgb.subarray((y * 100 + x) * 3, (y * 100 + x) * 3 + 3)];
    expect([at(0, 0), at(1, 0), at(50, 50), at(99, 99)]).toEqual([[254, 0, 0], [254, 0, 0], [125, 130, 255], [255, 255, 255]]);
    // Stored, the first pair of pixels is Y 76, Y 76, Cb 85, Cr 255.
    expect([...rgbOfYbrFull422(new Uint8Array([76, 76, 85, 255]))]).toEqual([254, 0, 0, 254, 0, 0]);
    expect(nativeFrameBytes({ rows: 100, columns: 100, samplesPerPixel: 3, bitsAllocated: 8, photometricInterpretation: 'YBR_FULL_422' })).toBe(20000);
    expect(nativeFrameBytes({ rows: 100, columns: 100, samplesPerPixel: 3, bitsAllocated: 8, photometricInterpretation: 'RGB' })).toBe(30000);
  });

  it('takes NumberOfFrames by its leading digits ("1A" in badVR.dcm) and refuses what it cannot cut', () => {
    expect(nativeFramesOf(read('badVR.dcm'))?.map((f) => f.bytes.length)).toEqual([10 * 10 * 4]);
    for (const name of [
      'MR_truncated.dcm', // pixel data shorter than the header says
      'JPEG2000.dcm', // encapsulated: frame ranges decode it
      'image_dfl.dcm', // deflated
      'test-SR.dcm', // no pixel data
    ]) {
      expect(nativeFramesOf(read(name)), name).toBeNull();
    }
    expect(nativeFramesOf(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it('reverses the bytes of each value in place', () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    swapBytes(bytes, 4);
    expect([...bytes]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    swapBytes(bytes, 2);
    expect([...bytes]).toEqual([3, 4, 1, 2, 7, 8, 5, 6]);
  });
});
