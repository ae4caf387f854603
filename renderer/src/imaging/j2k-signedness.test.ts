import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { patchJpeg2000Signedness } from './j2k-signedness.ts';

const DECODER = createRequire(import.meta.url).resolve('@cornerstonejs/dicom-image-loader').replace(/index\.js$/, 'shared/decoders/decodeJPEG2000.js');

describe('JPEG 2000 samples typed by the header’s PixelRepresentation', () => {
  it('patches the installed decoder to ask for signed samples when the header says signed', () => {
    const patched = patchJpeg2000Signedness(readFileSync(DECODER, 'utf8'));
    expect(patched).toContain('getPixelData(frameInfo, decodedBufferInWASM, imageInfo.pixelRepresentation === 1 || undefined)');
    expect(patched).not.toContain('getPixelData(frameInfo, decodedBufferInWASM);');
  });

  it('refuses to patch a decoder that no longer has the code it patches', () => {
    expect(() => patchJpeg2000Signedness('const pixelData = getPixelData(frameInfo, buffer, true);')).toThrow(/decoder changed/);
  });
});
