/**
 * A `multipart/related` body (PS3.18 8.7.1.2) parsed as it arrives — the viewer's series batches,
 * and the tests and benchmarks that read a series retrieval as the viewer does: each chunk read from the
 * response is pushed in, and every part whose closing delimiter has come is handed out at once,
 * so a series retrieval's first instances are decoded while Orthanc still sends the rest. Only the
 * bytes of the part being received are held; a part is never handed out before its delimiter, so
 * a stream cut short yields exactly the parts that came whole.
 */
/** One part of a `multipart/related` body: its Content-Type and its bytes. */
export interface MultipartPart {
  contentType: string;
  body: Uint8Array;
}

/** The `boundary` parameter of a multipart Content-Type, or null. */
export function boundaryOf(contentType: string): string | null {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

const CR = 13;
const LF = 10;
const HYPHEN = 45;
const CRLF_CRLF = new Uint8Array([CR, LF, CR, LF]);

/** Where `needle` first occurs in `haystack` from `from`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array | readonly number[], from: number): number {
  const first = needle[0] ?? 0;
  outer: for (let i = haystack.indexOf(first, from); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

type State = 'preamble' | 'delimiter' | 'headers' | 'body' | 'closed';

export class MultipartStreamParser {
  /** `CRLF--boundary`: what ends every part's body (a CRLF is put before the first delimiter too). */
  readonly #delimiter: Uint8Array;
  /**
   * Bytes received and not yet consumed are `#buffer[#start, #end)`. The buffer grows by doubling
   * and consuming only moves #start, so a long part arriving in many chunks, or a chunk holding many
   * parts, costs each byte a bounded number of copies instead of one per chunk or per part.
   */
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;
  #state: State = 'preamble';
  #contentType = '';
  /** Where the search for the delimiter resumes in the held bytes (bytes before it cannot start one). */
  #searchFrom = 0;

  constructor(boundary: string) {
    this.#delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
    // The body may open with the delimiter itself, without the CRLF that precedes later ones.
    this.#buffer = new Uint8Array(64 * 1024);
    this.#append(new Uint8Array([CR, LF]));
  }

  /** A parser for a response of this Content-Type, or null when it is not multipart with a boundary. */
  static forContentType(contentType: string): MultipartStreamParser | null {
    const boundary = boundaryOf(contentType);
    return /^multipart\//i.test(contentType.trim()) && boundary ? new MultipartStreamParser(boundary) : null;
  }

  /** Whether the closing delimiter (`--boundary--`) has been read: the body came whole. */
  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Takes the next chunk; returns the parts it completed, in order. */
  push(chunk: Uint8Array): MultipartPart[] {
    if (this.#state === 'closed') return [];
    this.#append(chunk);
    const parts: MultipartPart[] = [];
    for (;;) {
      const part = this.#step();
      if (part === undefined) break;
      if (part !== null) parts.push(part);
    }
    return parts;
  }

  /** One transition: a part, null for progress without a part, undefined when more bytes are needed. */
  #step(): MultipartPart | null | undefined {
    const pending = this.#buffer.subarray(this.#start, this.#end);
    switch (this.#state) {
      case 'preamble':
      case 'body': {
        const at = indexOfBytes(pending, this.#delimiter, this.#searchFrom);
        if (at === -1) {
          this.#searchFrom = Math.max(0, pending.length - this.#delimiter.length + 1);
          return undefined;
        }
        const part = this.#state === 'body' ? { contentType: this.#contentType, body: pending.slice(0, at) } : null;
        this.#advance(at + this.#delimiter.length, 'delimiter');
        return part;
      }
      case 'delimiter': {
        if (pending.length < 2) return undefined;
        if (pending[0] === HYPHEN && pending[1] === HYPHEN) {
          this.#buffer = new Uint8Array(0);
          this.#start = this.#end = 0;
          this.#state = 'closed';
          return undefined;
        }
        // Transport padding, then the CRLF that ends the delimiter line.
        const lineEnd = pending.indexOf(LF);
        if (lineEnd === -1) return undefined;
        this.#advance(lineEnd + 1, 'headers');
        return null;
      }
      case 'headers': {
        // No headers at all: the blank line follows the delimiter line at once.
        if (pending.length >= 2 && pending[0] === CR && pending[1] === LF) {
          this.#contentType = 'application/octet-stream';
          this.#advance(2, 'body');
          return null;
        }
        const end = indexOfBytes(pending, CRLF_CRLF, 0);
        if (end === -1) return undefined;
        const headers = new TextDecoder().decode(pending.subarray(0, end));
        this.#contentType = /^content-type:\s*(.+)$/im.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
        this.#advance(end + CRLF_CRLF.length, 'body');
        return null;
      }
      case 'closed':
        return undefined;
    }
  }

  #append(chunk: Uint8Array): void {
    const held = this.#end - this.#start;
    if (this.#end + chunk.length > this.#buffer.length) {
      // Room at the front is reused before the buffer grows. A part's body is copied out (slice),
      // so nothing handed out points into the buffer.
      if (held + chunk.length > this.#buffer.length) {
        const grown = new Uint8Array(Math.max(this.#buffer.length * 2, held + chunk.length));
        grown.set(this.#buffer.subarray(this.#start, this.#end), 0);
        this.#buffer = grown;
      } else {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = held;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  #advance(consumed: number, state: State): void {
    this.#start += consumed;
    this.#searchFrom = 0;
    this.#state = state;
  }
}
