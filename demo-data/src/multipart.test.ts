import { describe, expect, it } from 'vitest';

import { MultipartParseError, parseMediaType, parseMultipartRelated } from './multipart.ts';

const HTJ2K = '1.2.840.10008.1.2.4.201';

/** Builds a body from text and binary pieces. */
function body(...pieces: Array<string | Uint8Array>): Uint8Array {
  return Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}

/** Bytes that look like the things a naive parser trips over: CR, LF, dashes, NULs, 0xFF. */
const binaryA = new Uint8Array([0xff, 0x4f, 0xff, 0x51, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0x0d, 0x0a, 0x0d, 0x0a, 0x2d]);
const binaryB = new Uint8Array([0x00, 0x01, 0x02, 0x0d]);

describe('parseMultipartRelated', () => {
  it('splits a frames response shaped like Orthanc 1.13 + DICOMweb 1.24 answers it', () => {
    // As seen on the wire: the root type is quoted and itself has a parameter, each part has a
    // Content-Location, and the part body is the stored fragment (codestream + DICOM pad byte).
    const boundary = '1900cdbd-9c21-4c49-ac84-829ac48a0545-f1b4a531-0ae6-4481-bef3-7549fba78';
    const header = `multipart/related; type="image/jphc; transfer-syntax=1.2.840.10008.1.2.4.202"; boundary=${boundary}`;
    const parts = parseMultipartRelated(
      body(
        `--${boundary}\r\n`,
        'Content-Location: http://127.0.0.1:8042/dicom-web/studies/2.25.1/series/2.25.2/instances/2.25.3/frames/1\r\n',
        'Content-Type: image/jphc; transfer-syntax=1.2.840.10008.1.2.4.202\r\n\r\n',
        binaryA,
        `\r\n--${boundary}--`,
      ),
      header,
    );
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ contentType: 'image/jphc', transferSyntax: '1.2.840.10008.1.2.4.202' });
    expect(parts[0]?.headers['content-location']).toMatch(/\/frames\/1$/);
    expect(parts[0]?.body).toEqual(binaryA);
  });

  it('splits several parts, binary-safe', () => {
    const header = `multipart/related; type="application/octet-stream"; boundary=abc123`;
    const parts = parseMultipartRelated(
      body(
        '--abc123\r\n',
        `Content-Type: image/jphc; transfer-syntax=${HTJ2K}\r\n`,
        `Content-Length: ${binaryA.length}\r\n`,
        'MIME-Version: 1.0\r\n\r\n',
        binaryA,
        '\r\n--abc123\r\n',
        `Content-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1\r\n\r\n`,
        binaryB,
        '\r\n--abc123--\r\n',
      ),
      header,
    );
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatchObject({ contentType: 'image/jphc', transferSyntax: HTJ2K });
    expect(parts[0]?.headers).toEqual({
      'content-type': `image/jphc; transfer-syntax=${HTJ2K}`,
      'content-length': String(binaryA.length),
      'mime-version': '1.0',
    });
    expect(parts[0]?.body).toEqual(binaryA);
    expect(parts[1]).toMatchObject({ contentType: 'application/octet-stream', transferSyntax: '1.2.840.10008.1.2.1' });
    expect(parts[1]?.body).toEqual(binaryB);
  });

  it('takes a quoted boundary with characters a token cannot hold, and a part without transfer-syntax', () => {
    const boundary = "a'b(c)+_,-./:=?d e";
    const parts = parseMultipartRelated(
      body(`--${boundary}\r\nContent-Type: application/dicom+json\r\n\r\n[]\r\n--${boundary}--`),
      `Multipart/Related;type="application/dicom+json";boundary="${boundary}"`,
    );
    expect(parts).toHaveLength(1);
    expect(parts[0]?.contentType).toBe('application/dicom+json');
    expect(parts[0]?.transferSyntax).toBeUndefined();
    expect(Buffer.from(parts[0]?.body ?? []).toString()).toBe('[]');
  });

  it('accepts an empty part body, a preamble, transport padding and an epilogue', () => {
    const parts = parseMultipartRelated(
      body(
        'this is a preamble\r\n',
        '--b \t\r\nContent-Type: application/octet-stream\r\n\r\n',
        '\r\n--b\r\ncontent-type: application/octet-stream\r\n\r\nX',
        '\r\n--b--  \r\nepilogue',
      ),
      'multipart/related; boundary=b',
    );
    expect(parts.map((p) => p.body.length)).toEqual([0, 1]);
  });

  it('returns views into the body rather than copies', () => {
    const input = body('--b\r\nContent-Type: application/octet-stream\r\n\r\n', binaryA, '\r\n--b--');
    const [part] = parseMultipartRelated(input, 'multipart/related; boundary=b');
    expect(part?.body.buffer).toBe(input.buffer);
  });

  it.each([
    ['not multipart/related', 'multipart/mixed; boundary=b'],
    ['no boundary', 'multipart/related; type="application/octet-stream"'],
    ['empty boundary', 'multipart/related; boundary=""'],
    ['boundary over 70 characters', `multipart/related; boundary=${'x'.repeat(71)}`],
    ['boundary ending in a space', 'multipart/related; boundary="b "'],
    ['boundary given twice', 'multipart/related; boundary=b; boundary=c'],
    ['unterminated quote', 'multipart/related; boundary="b'],
    ['garbage', 'multipart/related boundary=b'],
  ])('rejects a Content-Type with %s', (_label, header) => {
    const input = body('--b\r\nContent-Type: application/octet-stream\r\n\r\nX\r\n--b--');
    expect(() => parseMultipartRelated(input, header)).toThrow(MultipartParseError);
  });

  it.each([
    ['no delimiter at all', 'just bytes'],
    ['no close delimiter', '--b\r\nContent-Type: application/octet-stream\r\n\r\nX\r\n'],
    ['close delimiter only', '--b--\r\n'],
    ['LF-only line ends', '--b\nContent-Type: application/octet-stream\n\nX\n--b--'],
    ['a boundary followed by other text', '--b\r\nContent-Type: application/octet-stream\r\n\r\nX\r\n--bc\r\n'],
    ['a part without Content-Type', '--b\r\nContent-Length: 1\r\n\r\nX\r\n--b--'],
    ['a part without headers', '--b\r\n\r\nX\r\n--b--'],
    ['unterminated headers', '--b\r\nContent-Type: application/octet-stream\r\n--b--'],
    ['a folded header', '--b\r\nContent-Type: application/octet-stream;\r\n transfer-syntax=1.2\r\n\r\nX\r\n--b--'],
    ['a header without a colon', '--b\r\nContent-Type application/octet-stream\r\n\r\nX\r\n--b--'],
    ['a repeated header', '--b\r\nContent-Type: a/b\r\ncontent-type: a/b\r\n\r\nX\r\n--b--'],
    ['a NUL in a header', '--b\r\nContent-Type: a/b\x00\r\n\r\nX\r\n--b--'],
    ['a wrong Content-Length', '--b\r\nContent-Type: a/b\r\nContent-Length: 2\r\n\r\nX\r\n--b--'],
    ['a non-numeric Content-Length', '--b\r\nContent-Type: a/b\r\nContent-Length: 1x\r\n\r\nX\r\n--b--'],
    ['a transfer-syntax that is not a UID', '--b\r\nContent-Type: a/b; transfer-syntax=1.02.3\r\n\r\nX\r\n--b--'],
    ['a malformed part Content-Type', '--b\r\nContent-Type: nonsense\r\n\r\nX\r\n--b--'],
  ])('rejects a body with %s', (_label, text) => {
    expect(() => parseMultipartRelated(body(text), 'multipart/related; boundary=b')).toThrow(MultipartParseError);
  });
});

describe('parseMediaType', () => {
  it('lower-cases type and parameter names, unquotes values and keeps their case', () => {
    expect(parseMediaType(' Image/JPHC ;Transfer-Syntax="1.2.840.10008.1.2.4.202" ; x=Y;; ')).toEqual({
      mediaType: 'image/jphc',
      parameters: { 'transfer-syntax': '1.2.840.10008.1.2.4.202', x: 'Y' },
    });
    expect(parseMediaType('a/b; q="x\\"y\\\\z"').parameters.q).toBe('x"y\\z');
  });
});
