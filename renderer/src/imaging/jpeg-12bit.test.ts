import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import dicomParser from 'dicom-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { inverseDct12, patchJpegCodec } from './jpeg-12bit.ts';

/** pydicom's 12-bit JPEG Extended test object (Debian python3-pydicom), a real NM image of 256 × 1024. */
const JPEG_LOSSY = '/usr/lib/python3/dist-packages/pydicom/data/test_files/JPEG-lossy.dcm';
const CODEC = createRequire(import.meta.url).resolve('@cornerstonejs/dicom-image-loader').replace(/index\.js$/, 'codecs/jpeg.js');
const IDCT_MODULE = path.join(import.meta.dirname, 'jpeg-12bit.ts');

const scratch = mkdtempSync(path.join(tmpdir(), 'rs-jpeg12-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface JpegImage {
  parse(data: Uint8Array): void;
  colorTransform: boolean;
  getData16(width: number, height: number): Uint16Array;
}

/** Cornerstone's codec (patched or as shipped), imported from a copy under the scratch directory. */
async function codec(patched: boolean): Promise<new () => JpegImage> {
  const source = readFileSync(CODEC, 'utf8');
  const file = path.join(scratch, patched ? 'jpeg-patched.mjs' : 'jpeg-shipped.mjs');
  writeFileSync(file, patched ? patchJpegCodec(source, pathToFileURL(IDCT_MODULE).href) : source);
  return ((await import(pathToFileURL(file).href)) as { default: new () => JpegImage }).default;
}

function pixelDataOf(file: string): { dataSet: dicomParser.DataSet; bytes: Uint8Array } {
  const bytes = new Uint8Array(readFileSync(file));
  return { dataSet: dicomParser.parseDicom(bytes), bytes };
}

describe('12-bit JPEG Extended', () => {
  it('decodes to exactly what dcmtk decodes, where the codec as shipped is about 15 too high', async () => {
    const { dataSet } = pixelDataOf(JPEG_LOSSY);
    const element = dataSet.elements.x7fe00010;
    if (!element) throw new Error('no pixel data');
    const frame = dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, 0, element.fragments?.length ?? 1);
    const rows = dataSet.uint16('x00280010') ?? 0;
    const columns = dataSet.uint16('x00280011') ?? 0;

    // The reference: dcmtk's own decoder (libijg12, accurate integer IDCT).
    const decompressed = path.join(scratch, 'dcmtk.dcm');
    execFileSync('dcmdjpeg', [JPEG_LOSSY, decompressed], { stdio: 'pipe' });
    const reference = pixelDataOf(decompressed);
    const native = reference.dataSet.elements.x7fe00010;
    if (!native) throw new Error('no pixel data in dcmdjpeg output');
    const expected = new Uint16Array(reference.bytes.slice(native.dataOffset, native.dataOffset + native.length).buffer);

    const decode = (Jpeg: new () => JpegImage) => {
      const jpeg = new Jpeg();
      jpeg.parse(frame);
      jpeg.colorTransform = false;
      return jpeg.getData16(columns, rows);
    };
    const patched = decode(await codec(true));
    expect(patched.length).toBe(rows * columns);
    expect(Buffer.from(patched.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    // Without the patch the codec is off: if an upgrade fixes it, this patch can go.
    const shipped = decode(await codec(false));
    const offsets = new Set(Array.from(shipped.slice(0, 4096), (value, i) => value - (expected[i] ?? 0)));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(9);
  });

  it('refuses to patch a codec that no longer has the code it patches', () => {
    expect(() => patchJpegCodec('function quantizeAndInverse(component, offset, p) {\n}', IDCT_MODULE)).toThrow(/codec changed/);
  });

  it('level-shifts and clamps to the precision: a DC-only block is flat at centre + DC / 8', () => {
    const block = new Int16Array(64);
    const quantization = new Array<number>(64).fill(1);
    block[0] = 80; // DC of 80 → 10 above the centre
    inverseDct12(block, 0, quantization, 12);
    expect(new Set(block)).toEqual(new Set([2058]));
    block.fill(0);
    block[0] = 32_000;
    inverseDct12(block, 0, quantization, 12);
    expect(new Set(block)).toEqual(new Set([4095]));
  });
});
