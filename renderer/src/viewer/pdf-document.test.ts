import { describe, expect, it } from 'vitest';
import { documentBytes } from './pdf-document.ts';

describe("an encapsulated PDF's bulk data", () => {
  it('takes the document out of the multipart answer, or the body as it is', () => {
    const pdf = new TextEncoder().encode('%PDF-1.4\n…%%EOF\n');
    const body = new Uint8Array([...new TextEncoder().encode('--b\r\nContent-Type: application/octet-stream\r\n\r\n'), ...pdf, ...new TextEncoder().encode('\r\n--b--\r\n')]);
    expect(documentBytes('multipart/related; type="application/octet-stream"; boundary=b', body)).toEqual(pdf);
    expect(documentBytes('application/pdf', pdf)).toEqual(pdf);
  });
});
