import { describe, expect, it } from 'vitest';
import { MultipartStreamParser, type MultipartPart } from './multipart-stream.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const BOUNDARY = 'b3c33eb9-d7d4-4c8e';
const CONTENT_TYPE = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;

/** Bodies chosen to hold what a parser could take for a delimiter: CR, LF, hyphens, a partial boundary. */
const BODIES = [
  new Uint8Array([0, 13, 10, 45, 45, 98, 51, 255]),
  new Uint8Array(0),
  enc(`\r\n--${BOUNDARY.slice(0, 10)}x\r\n`),
  Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256),
];

function body(parts: Uint8Array[], { closed = true } = {}): Uint8Array {
  const chunks: Uint8Array[] = [enc('preamble to ignore\r\n')];
  for (const [i, part] of parts.entries()) {
    chunks.push(enc(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\nContent-Location: /i/${i}\r\n\r\n`), part, enc('\r\n'));
  }
  if (closed) chunks.push(enc(`--${BOUNDARY}--\r\n`));
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

function feed(parser: MultipartStreamParser, bytes: Uint8Array, cuts: number[]): MultipartPart[] {
  const parts: MultipartPart[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    parts.push(...parser.push(bytes.subarray(from, cut)));
    from = cut;
  }
  return parts;
}

const bodiesOf = (parts: MultipartPart[]) => parts.map((p) => [...p.body]);

describe('multipart stream parser', () => {
  it('hands out every part byte for byte, with its content type, and sees the close', () => {
    const parser = MultipartStreamParser.forContentType(CONTENT_TYPE);
    if (!parser) throw new Error('no parser');
    const parts = parser.push(body(BODIES));
    expect(bodiesOf(parts)).toEqual(BODIES.map((b) => [...b]));
    expect(parts.every((p) => p.contentType === 'application/dicom')).toBe(true);
    expect(parser.closed).toBe(true);
  });

  it('gives the same parts whatever byte the stream is split at, once or twice', () => {
    const bytes = body(BODIES);
    const expected = BODIES.map((b) => [...b]);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const parser = new MultipartStreamParser(BOUNDARY);
      expect(bodiesOf(feed(parser, bytes, [cut]))).toEqual(expected);
      expect(parser.closed).toBe(true);
    }
    for (let first = 1; first < bytes.length; first += 7) {
      for (let second = first; second <= bytes.length; second += 11) {
        const parser = new MultipartStreamParser(BOUNDARY);
        expect(bodiesOf(feed(parser, bytes, [first, second]))).toEqual(expected);
      }
    }
  });

  it('hands out each part as soon as its closing delimiter arrives, byte by byte', () => {
    const bytes = body(BODIES);
    const parser = new MultipartStreamParser(BOUNDARY);
    const arrivals: number[] = [];
    for (let i = 0; i < bytes.length; i += 1) {
      arrivals.push(...parser.push(bytes.subarray(i, i + 1)).map(() => i));
    }
    expect(arrivals).toHaveLength(BODIES.length);
    // The first part is out long before the stream ends.
    expect(arrivals[0]).toBeLessThan(bytes.length / 2);
  });

  it('a stream cut short yields only the parts that came whole, and is not closed', () => {
    const bytes = body(BODIES, { closed: false });
    // Cut inside the last body: its delimiter never came.
    const cut = bytes.length - 20;
    const parser = new MultipartStreamParser(BOUNDARY);
    expect(bodiesOf(parser.push(bytes.subarray(0, cut)))).toEqual(BODIES.slice(0, 3).map((b) => [...b]));
    expect(parser.closed).toBe(false);
    // All parts delimited but no closing delimiter: every part, still not closed.
    const unclosed = new MultipartStreamParser(BOUNDARY);
    expect(unclosed.push(body(BODIES, { closed: false }))).toHaveLength(3);
    expect(unclosed.push(enc(`--${BOUNDARY}`))).toHaveLength(1);
    expect(unclosed.closed).toBe(false);
  });

  it('is not made for an answer that is not multipart', () => {
    expect(MultipartStreamParser.forContentType('application/json')).toBeNull();
    expect(MultipartStreamParser.forContentType('multipart/related; type="application/dicom"')).toBeNull();
  });

  it('keeps parts whole across the growth and reuse of its buffer: parts larger than it, and many parts in one chunk', () => {
    // 150 parts of 1–200 KB: the first ones outgrow the parser's initial 64 KB, and chunks of
    // 1 MB hold many small parts, so consumed room is reused for the next.
    const large = Array.from({ length: 150 }, (_, n) => Uint8Array.from({ length: ((n * 7919) % 200_000) + 1 }, (_, i) => (i * 31 + n) % 256));
    const bytes = body(large);
    for (const size of [1_000, 65_536, 1_000_000]) {
      const parser = new MultipartStreamParser(BOUNDARY);
      const cuts = Array.from({ length: Math.floor(bytes.length / size) }, (_, k) => (k + 1) * size);
      const parts = feed(parser, bytes, cuts);
      expect(parts.map((p) => p.body.length)).toEqual(large.map((b) => b.length));
      expect(parts.every((p, n) => p.body.every((v, i) => v === large[n]?.[i]))).toBe(true);
      expect(parser.closed).toBe(true);
    }
  });
});
