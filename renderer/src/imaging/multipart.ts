/**
 * The parts of a `multipart/related` WADO-RS response (PS3.18 8.7.1.2) read whole: each part's
 * Content-Type and body, in order. A series retrieval is read as it arrives instead (the
 * contract's MultipartStreamParser).
 */
import { boundaryOf, indexOfBytes as indexOf, type MultipartPart } from '@reading-station/contract';

const CRLF_CRLF = [13, 10, 13, 10];

/** A response that is not multipart is one part: the whole body. */
export function parseMultipart(contentType: string, body: Uint8Array): MultipartPart[] {
  const boundary = boundaryOf(contentType);
  if (!/^multipart\//i.test(contentType.trim()) || !boundary) return [{ contentType, body }];
  const delimiter = new TextEncoder().encode(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let at = indexOf(body, delimiter, 0);
  while (at !== -1) {
    const afterDelimiter = at + delimiter.length;
    // `--boundary--` closes the body.
    if (body[afterDelimiter] === 45 && body[afterDelimiter + 1] === 45) break;
    const headersEnd = indexOf(body, CRLF_CRLF, afterDelimiter);
    if (headersEnd === -1) break;
    const next = indexOf(body, delimiter, headersEnd + 4);
    if (next === -1) break;
    const headers = new TextDecoder().decode(body.subarray(afterDelimiter, headersEnd));
    const type = /^content-type:\s*(.+)$/im.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
    // The CRLF before the next delimiter belongs to the delimiter.
    const end = body[next - 2] === 13 && body[next - 1] === 10 ? next - 2 : next;
    parts.push({ contentType: type, body: body.slice(headersEnd + 4, end) });
    at = next;
  }
  return parts;
}

const DEFAULT_SYNTAX_BY_TYPE: Readonly<Record<string, string>> = {
  'image/jpeg': '1.2.840.10008.1.2.4.50',
  'image/x-dicom-rle': '1.2.840.10008.1.2.5',
  'image/dicom-rle': '1.2.840.10008.1.2.5',
  'image/x-jls': '1.2.840.10008.1.2.4.80',
  'image/jls': '1.2.840.10008.1.2.4.80',
  'image/jll': '1.2.840.10008.1.2.4.70',
  'image/jp2': '1.2.840.10008.1.2.4.90',
  'image/jpx': '1.2.840.10008.1.2.4.92',
  'image/jphc': '1.2.840.10008.1.2.4.201',
};

/** The part's `transfer-syntax` parameter, else the default for its media type, else Explicit VR Little Endian. */
export function transferSyntaxOfPart(contentType: string): string {
  const explicit = /transfer-syntax\s*=\s*"?([0-9.]+)"?/i.exec(contentType)?.[1];
  if (explicit) return explicit;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return DEFAULT_SYNTAX_BY_TYPE[type] ?? '1.2.840.10008.1.2.1';
}
