/**
 * A strict parser for the `multipart/related` bodies DICOMweb answers with (WADO-RS frames,
 * instances, bulk data), for tests that check the bytes Orthanc serves through the gate.
 *
 * Written here rather than taken from npm: the maintained multipart parsers target
 * `multipart/form-data` (names, file names, size caps) and are lenient about framing, while a
 * test of the gate wants every framing error to fail loudly and wants each part's
 * `transfer-syntax` parameter, which is what the viewer's decoder choice depends on.
 *
 * Checked against Orthanc 1.13 + DICOMweb 1.24: a frame request with `transfer-syntax=*` answers
 * `multipart/related; type="image/jphc; transfer-syntax=…"; boundary=…`, parts carry
 * Content-Location and Content-Type, and a part's body is the stored fragment, i.e. the
 * codestream followed by the DICOM pad byte when the codestream's length is odd.
 *
 * Grammar: RFC 2046 §5.1.1 (boundaries, transport padding, preamble, epilogue), RFC 9110 §8.3.1
 * (media types and parameters), RFC 2387 (multipart/related), DICOM PS3.18 §8.7.
 */

export class MultipartParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartParseError';
  }
}

export interface MediaType {
  /** `type/subtype`, lower-cased. */
  readonly mediaType: string;
  /** Parameter names lower-cased; values unquoted, case kept. */
  readonly parameters: Readonly<Record<string, string>>;
}

export interface MultipartPart {
  /** Header names lower-cased; values with surrounding whitespace trimmed. */
  readonly headers: Readonly<Record<string, string>>;
  /** The part's media type (`type/subtype`, lower-cased), without parameters. */
  readonly contentType: string;
  /** The part's `transfer-syntax` parameter, when it has one (a DICOM UID). */
  readonly transferSyntax?: string;
  /** The part's bytes: a view into the body passed in, not a copy. */
  readonly body: Uint8Array;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/;
/** RFC 2046 bchars: 1–70 of these, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** Parses a Content-Type value (`type/subtype; name=value; name="quoted value"`). */
export function parseMediaType(value: string): MediaType {
  let pos = 0;
  const skipWhitespace = (): void => {
    while (value[pos] === ' ' || value[pos] === '\t') pos++;
  };
  const readToken = (): string => {
    const start = pos;
    while (pos < value.length && TOKEN.test(value[pos] ?? '')) pos++;
    return value.slice(start, pos);
  };
  skipWhitespace();
  const type = readToken();
  if (!type || value[pos] !== '/') throw new MultipartParseError(`malformed media type: ${JSON.stringify(value)}`);
  pos++;
  const subtype = readToken();
  if (!subtype) throw new MultipartParseError(`malformed media type: ${JSON.stringify(value)}`);
  const parameters: Record<string, string> = {};
  for (;;) {
    skipWhitespace();
    if (pos === value.length) break;
    if (value[pos] !== ';') throw new MultipartParseError(`unexpected ${JSON.stringify(value[pos])} in media type`);
    pos++;
    skipWhitespace();
    if (pos === value.length || value[pos] === ';') continue; // empty parameter (RFC 9110 allows it)
    const name = readToken().toLowerCase();
    if (!name || value[pos] !== '=') throw new MultipartParseError(`malformed parameter in ${JSON.stringify(value)}`);
    pos++;
    let parameterValue: string;
    if (value[pos] === '"') {
      pos++;
      parameterValue = '';
      for (;;) {
        const ch = value[pos];
        if (ch === undefined) throw new MultipartParseError('unterminated quoted string in media type');
        pos++;
        if (ch === '"') break;
        if (ch === '\\') {
          const escaped = value[pos];
          if (escaped === undefined) throw new MultipartParseError('unterminated quoted string in media type');
          parameterValue += escaped;
          pos++;
        } else {
          if (hasControlCharacter(ch)) throw new MultipartParseError('control character in media type');
          parameterValue += ch;
        }
      }
    } else {
      parameterValue = readToken();
      if (!parameterValue) throw new MultipartParseError(`empty value for parameter ${name}`);
    }
    if (Object.hasOwn(parameters, name)) throw new MultipartParseError(`parameter ${name} given twice`);
    parameters[name] = parameterValue;
  }
  return { mediaType: `${type}/${subtype}`.toLowerCase(), parameters };
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

function isLinearWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09;
}

/**
 * Splits a `multipart/related` body into its parts. Throws MultipartParseError when the header
 * is not multipart/related with a valid boundary, when a delimiter, header or the final close
 * delimiter is malformed or missing, when a part lacks a Content-Type, when a Content-Length
 * disagrees with the part, or when a transfer-syntax parameter is not a UID.
 */
export function parseMultipartRelated(body: Uint8Array, contentTypeHeader: string): MultipartPart[] {
  const { mediaType, parameters } = parseMediaType(contentTypeHeader);
  if (mediaType !== 'multipart/related') throw new MultipartParseError(`expected multipart/related, got ${mediaType}`);
  const boundary = parameters.boundary;
  if (boundary === undefined) throw new MultipartParseError('multipart/related without a boundary');
  if (!BOUNDARY.test(boundary)) throw new MultipartParseError(`invalid boundary ${JSON.stringify(boundary)}`);

  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const dashBoundary = Buffer.from(`--${boundary}`, 'latin1');
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');

  // The first boundary opens the body or follows a preamble that ends with CRLF.
  let pos: number;
  if (bytes.subarray(0, dashBoundary.length).equals(dashBoundary)) {
    pos = dashBoundary.length;
  } else {
    const found = bytes.indexOf(delimiter);
    if (found < 0) throw new MultipartParseError('no boundary delimiter in body');
    pos = found + delimiter.length;
  }

  const parts: MultipartPart[] = [];
  for (;;) {
    // After a boundary: `--` closes the body; otherwise transport padding, then CRLF.
    if (bytes[pos] === DASH && bytes[pos + 1] === DASH) {
      if (parts.length === 0) throw new MultipartParseError('multipart body without parts');
      return parts; // the epilogue after the close delimiter is ignored, as RFC 2046 says
    }
    while (isLinearWhitespace(bytes[pos])) pos++;
    if (bytes[pos] !== CR || bytes[pos + 1] !== LF) throw new MultipartParseError(`expected CRLF after boundary at byte ${pos}`);
    pos += 2;

    let headers: Record<string, string> = {};
    let bodyStart = pos + 2; // a part with no headers at all
    if (bytes[pos] !== CR || bytes[pos + 1] !== LF) {
      const headerEnd = bytes.indexOf('\r\n\r\n', pos, 'latin1');
      const nextDelimiter = bytes.indexOf(delimiter, pos);
      if (headerEnd < 0 || (nextDelimiter >= 0 && nextDelimiter < headerEnd)) {
        throw new MultipartParseError(`unterminated part headers at byte ${pos}`);
      }
      headers = parseHeaderBlock(bytes.toString('latin1', pos, headerEnd));
      bodyStart = headerEnd + 4;
    }

    // The part's body runs to the CRLF that starts the next delimiter.
    const next = bytes.indexOf(delimiter, bodyStart);
    if (next < 0) throw new MultipartParseError('missing close delimiter');
    const partBody = new Uint8Array(body.buffer, body.byteOffset + bodyStart, next - bodyStart);

    const rawType = headers['content-type'];
    if (rawType === undefined) throw new MultipartParseError(`part ${parts.length + 1} has no Content-Type`);
    const partType = parseMediaType(rawType);
    const declaredLength = headers['content-length'];
    if (declaredLength !== undefined && (!/^[0-9]+$/.test(declaredLength) || Number(declaredLength) !== partBody.length)) {
      throw new MultipartParseError(
        `part ${parts.length + 1}: Content-Length ${declaredLength} but the part has ${partBody.length} bytes`,
      );
    }
    const transferSyntax = partType.parameters['transfer-syntax'];
    if (transferSyntax !== undefined && (!UID.test(transferSyntax) || transferSyntax.length > 64)) {
      throw new MultipartParseError(`part ${parts.length + 1}: transfer-syntax ${JSON.stringify(transferSyntax)} is not a UID`);
    }
    parts.push({
      headers,
      contentType: partType.mediaType,
      ...(transferSyntax === undefined ? {} : { transferSyntax }),
      body: partBody,
    });
    pos = next + delimiter.length;
  }
}

function parseHeaderBlock(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    if (line.includes('\n') || line.includes('\r')) throw new MultipartParseError('bare CR or LF in part headers');
    if (isLinearWhitespace(line.charCodeAt(0))) throw new MultipartParseError('folded header lines are not accepted');
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw new MultipartParseError(`malformed part header ${JSON.stringify(line)}`);
    const key = name.toLowerCase();
    const value = line.slice(colon + 1);
    if (hasControlCharacter(value)) throw new MultipartParseError(`control character in part header ${name}`);
    if (Object.hasOwn(headers, key)) throw new MultipartParseError(`part header ${name} given twice`);
    headers[key] = value.trim();
  }
  return headers;
}

/** Any C0 control character other than horizontal tab, or DEL. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}
