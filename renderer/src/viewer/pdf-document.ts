// An encapsulated PDF's bytes out of its bulk data answer; apart from EncapsulatedPdf.tsx so that
// it loads (and is tested) without PDF.js.
import { parseMultipart } from '../imaging/multipart.ts';

/** The document's bytes: the first part of the bulk data response (or its body when not multipart). */
export function documentBytes(contentType: string, body: Uint8Array): Uint8Array {
  // It may end in the NUL that pads a DICOM value to an even length, which PDF.js reads past.
  const [first] = parseMultipart(contentType, body);
  return first?.body ?? new Uint8Array();
}
