import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jpegColourAsHeader, patchJpegBaselineColour } from './jpeg-colour.ts';
import { singleFrameOf } from './part10-frame.ts';

/** pydicom's own test files: DICOM made by others (README, what setup installs). */
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const jpegOf = (name: string) => singleFrameOf(new Uint8Array(readFileSync(path.join(PYDICOM_FILES, name))))?.bytes ?? new Uint8Array();
const ADOBE_NO_TRANSFORM = [0xff, 0xee, 0x00, 0x0e, ...[...'Adobe'].map((c) => c.charCodeAt(0)), 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00];

describe('colour JPEG Baseline decoded in the header\'s colour space', () => {
  it('marks an RGB stream without an Adobe marker as not transformed (SC_jpeg_no_color_transform.dcm)', () => {
    const stream = jpegOf('SC_jpeg_no_color_transform.dcm');
    expect([...stream.subarray(0, 4)]).toEqual([0xff, 0xd8, 0xff, 0xdb]); // no APP marker at all
    const marked = jpegColourAsHeader('RGB', stream);
    expect([...marked.subarray(0, 2 + ADOBE_NO_TRANSFORM.length)]).toEqual([0xff, 0xd8, ...ADOBE_NO_TRANSFORM]);
    expect([...marked.subarray(2 + ADOBE_NO_TRANSFORM.length)]).toEqual([...stream.subarray(2)]);
  });

  it('leaves a stream that has an Adobe marker, and any stream whose header is not RGB, as it is', () => {
    const withAdobe = jpegOf('SC_jpeg_no_color_transform_2.dcm');
    expect(jpegColourAsHeader('RGB', withAdobe)).toBe(withAdobe);
    const ybr = jpegOf('SC_rgb_jpeg_dcmtk.dcm');
    expect(jpegColourAsHeader('YBR_FULL', ybr)).toBe(ybr);
    const notJpeg = new Uint8Array([1, 2, 3, 4]);
    expect(jpegColourAsHeader('RGB', notJpeg)).toBe(notJpeg);
  });

  it('drops a JFIF marker, which decoders let decide for YCbCr before an Adobe one', () => {
    const jfif = [0xff, 0xe0, 0x00, 0x10, ...[...'JFIF'].map((c) => c.charCodeAt(0)), 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
    const scan = [0xff, 0xda, 0x00, 0x02, 0x12, 0x34, 0xff, 0xd9];
    const marked = jpegColourAsHeader('RGB', Uint8Array.from([0xff, 0xd8, ...jfif, ...scan]));
    expect([...marked]).toEqual([0xff, 0xd8, ...ADOBE_NO_TRANSFORM, ...scan]);
  });

  it("patches the loader's browser decoding of colour JPEG Baseline, and fails when the loader changed", () => {
    const require = createRequire(import.meta.url);
    const loader = path.join(path.dirname(require.resolve('@cornerstonejs/dicom-image-loader/package.json')), 'dist/esm/imageLoader/decodeImageFrame.js');
    const patched = patchJpegBaselineColour(readFileSync(loader, 'utf8'), '/x/jpeg-colour.ts');
    expect(patched).toContain('import { jpegColourAsHeader as readingStationJpegColourAsHeader } from "/x/jpeg-colour.ts";');
    expect(patched).toContain('decodeJPEGBaseline8BitColor(imageFrame, readingStationJpegColourAsHeader(imageFrame.photometricInterpretation, pixelData), canvas)');
    expect(() => patchJpegBaselineColour('export default 1;', '/x/jpeg-colour.ts')).toThrow(/jpeg-colour\.ts/);
  });
});
