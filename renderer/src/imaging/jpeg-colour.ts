/**
 * Colour JPEG Baseline (1.2.840.10008.1.2.4.50) decoded in the colour space the header names.
 * Cornerstone's loader hands 8-bit colour JPEG frames to the browser's decoder, which decides by
 * the JPEG conventions: a JFIF marker means YCbCr, an Adobe APP14 marker says which, and without
 * either three components are taken for YCbCr and turned into RGB. DICOM decides by the header
 * instead: Photometric Interpretation RGB means the colour transform was not applied. A frame
 * coded as RGB without an Adobe marker (pydicom's SC_jpeg_no_color_transform.dcm) came out as
 * magenta instead of near white, where DCMTK, GDCM and pydicom read 244, 244, 244.
 *
 * For a frame whose header says RGB the stream gets an Adobe APP14 marker with transform 0 (and
 * loses a JFIF APP0 marker, which browsers let override it), so the decoder keeps the samples as
 * coded. Patched into the loader by the renderer's Vite build (as jpeg-12bit.ts is); the build
 * fails if the loader no longer has the call it patches.
 */

const SOI = [0xff, 0xd8];
const APP0 = 0xe0;
const APP14 = 0xee;
const SOS = 0xda;

/** APP14 "Adobe", version 100, no flags, transform 0 (the components are not transformed). */
const ADOBE_NO_TRANSFORM = Uint8Array.from([0xff, APP14, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);

interface Segment {
  marker: number;
  start: number;
  end: number;
  /** The segment's payload begins with this identifier ("JFIF", "Adobe"). */
  identifier: string;
}

/** The marker segments before the first scan; null if the stream is not one this can read. */
function headerSegments(stream: Uint8Array): Segment[] | null {
  if (stream[0] !== SOI[0] || stream[1] !== SOI[1]) return null;
  const segments: Segment[] = [];
  let at = 2;
  while (at + 4 <= stream.length) {
    if (stream[at] !== 0xff) return null;
    const marker = stream[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    const length = ((stream[at + 2] ?? 0) << 8) | (stream[at + 3] ?? 0);
    if (length < 2 || at + 2 + length > stream.length) return null;
    const identifier = String.fromCharCode(...stream.subarray(at + 4, at + 4 + Math.min(5, length - 2))).replace(/\0.*$/, '');
    segments.push({ marker, start: at, end: at + 2 + length, identifier });
    if (marker === SOS) return segments;
    at += 2 + length;
  }
  return null;
}

/**
 * The frame's stream as the browser's decoder must get it for the header's colour space: for a
 * header of RGB without an Adobe marker, one with transform 0 after SOI and no JFIF marker; any
 * other frame as it is.
 */
export function jpegColourAsHeader(photometricInterpretation: string | undefined, stream: Uint8Array): Uint8Array {
  if (photometricInterpretation !== 'RGB') return stream;
  const segments = headerSegments(stream);
  if (!segments || segments.some((s) => s.marker === APP14 && s.identifier === 'Adobe')) return stream;
  const jfif = segments.filter((s) => s.marker === APP0 && s.identifier === 'JFIF');
  const kept: Uint8Array[] = [stream.subarray(0, 2), ADOBE_NO_TRANSFORM];
  let at = 2;
  for (const segment of jfif) {
    kept.push(stream.subarray(at, segment.start));
    at = segment.end;
  }
  kept.push(stream.subarray(at));
  const out = new Uint8Array(kept.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of kept) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const BROWSER_DECODE = 'return decodeJPEGBaseline8BitColor(imageFrame, pixelData, canvas);';

/** The loader's `imageLoader/decodeImageFrame.js`, with the browser's JPEG decoding given the stream for the header's colour space. */
export function patchJpegBaselineColour(source: string, modulePath: string): string {
  if (source.split(BROWSER_DECODE).length !== 2) {
    throw new Error(`Cornerstone's image loader changed: "${BROWSER_DECODE}" is not there once; check the patch (jpeg-colour.ts)`);
  }
  return [
    `import { jpegColourAsHeader as readingStationJpegColourAsHeader } from ${JSON.stringify(modulePath)};`,
    source.replace(BROWSER_DECODE, 'return decodeJPEGBaseline8BitColor(imageFrame, readingStationJpegColourAsHeader(imageFrame.photometricInterpretation, pixelData), canvas);'),
  ].join('\n');
}
