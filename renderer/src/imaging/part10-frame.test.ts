import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { singleFrameOf } from './part10-frame.ts';

/** pydicom's own test files: DICOM made by others (README, what setup installs). */
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const read = (name: string) => new Uint8Array(readFileSync(path.join(PYDICOM_FILES, name)));

describe('the frame of a single-frame Part 10 object', () => {
  it('takes native little endian pixels exactly as stored (CT_small: 128 × 128, 16 bits)', () => {
    const file = read('CT_small.dcm');
    // The Pixel Data element's header in Explicit VR Little Endian: (7FE0,0010) OW, 2 reserved bytes, a 32-bit length.
    const header = [0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0x00, 0x00];
    const at = file.findIndex((_, i) => header.every((b, j) => file[i + j] === b));
    expect(at).toBeGreaterThan(0);
    const frame = singleFrameOf(file);
    expect(frame?.transferSyntax).toBe('1.2.840.10008.1.2.1');
    expect(frame?.sopInstanceUid).toBe('1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322');
    expect(frame?.bytes.length).toBe(128 * 128 * 2);
    expect([...(frame?.bytes ?? [])]).toEqual([...file.subarray(at + 12, at + 12 + 128 * 128 * 2)]);
  });

  it('joins an encapsulated frame into one codestream (JPEG 2000: SOC … EOC)', () => {
    const frame = singleFrameOf(read('JPEG2000.dcm'));
    expect(frame?.transferSyntax).toBe('1.2.840.10008.1.2.4.91');
    const bytes = frame?.bytes ?? new Uint8Array();
    expect([...bytes.subarray(0, 4)]).toEqual([0xff, 0x4f, 0xff, 0x51]);
    expect([...bytes.subarray(bytes.length - 2)]).toEqual([0xff, 0xd9]);
  });

  it('leaves to a frame request what Orthanc converts or refuses there', () => {
    for (const name of [
      'ExplVR_BigEnd.dcm', // big endian: Orthanc sends its frames as little endian
      'image_dfl.dcm', // deflated
      'MR_truncated.dcm', // pixel data shorter than the header says: Orthanc refuses the frame
      'SC_ybr_full_422_uncompressed.dcm', // Orthanc refuses to cut uncompressed 4:2:2
      'SC_rgb_rle_2frame.dcm', // several frames
      'test-SR.dcm', // no pixel data
    ]) {
      expect(singleFrameOf(read(name)), name).toBeNull();
    }
    expect(singleFrameOf(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});
