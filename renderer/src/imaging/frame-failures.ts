/**
 * A frame that cannot be shown through a fault of its own — the archive refuses to cut it out of
 * its object, or its data cannot be decoded — is marked on the slider with the reason, and the rest
 * of the series loads; the banner is for the server's failures (session, permission, an archive or
 * gate that does not answer), after which nothing would load.
 */
import type { ApiError } from '../api/api-error.ts';

export const FRAME_REFUSED = 'corrupt or unsupported data: the archive refuses to send this frame';
export const FRAME_UNSUPPORTED_SYNTAX = 'unsupported transfer syntax: no decoder for this frame';
export const FRAME_CORRUPT = 'corrupt data: this frame cannot be decoded';

/**
 * Why this failure is the frame's own, in plain words; null for a failure of the server or the
 * network. `error` is what the image loader rejected with, `described` the ApiError made of it.
 */
export function frameProblemOf(error: unknown, described: ApiError): string | null {
  // Orthanc answers 400 for a frame it cannot take out of a stored object (truncated pixel data, a
  // malformed header, a layout it does not cut, such as uncompressed YBR_FULL_422).
  if (described.status === 400) return FRAME_REFUSED;
  // 406/415: the archive cannot send the frame in a syntax the viewer asked for.
  if (described.status === 406 || described.status === 415) return FRAME_UNSUPPORTED_SYNTAX;
  if (described.code !== 'IMAGE_DECODE_FAILED') return null;
  const message = error instanceof Error ? error.message : String(error);
  return /no decoder for transfer syntax/i.test(message) ? FRAME_UNSUPPORTED_SYNTAX : FRAME_CORRUPT;
}

/**
 * Why a decoded frame cannot be the header's image: its size is not the header's Columns × Rows,
 * or it holds fewer values than Rows × Columns × samples. A decoder may "succeed" without the
 * image: Cornerstone's OpenJPEG decodes a codestream whose size marker is corrupt (pydicom's
 * JPEG2000-embedded-sequence-delimiter.dcm) as 0 × 0 or as 512 × 512, from one load to the next,
 * and either would be drawn as if it were the image. Null when the frame is the header's image.
 */
export function decodedFrameMismatch(
  decoded: { values: number; rows: number; columns: number },
  header: { rows: number; columns: number; samplesPerPixel: number },
): string | null {
  if (decoded.rows !== header.rows || decoded.columns !== header.columns) {
    return `the decoded frame is ${decoded.columns} × ${decoded.rows}, the header's image ${header.columns} × ${header.rows}`;
  }
  const needed = header.rows * header.columns * header.samplesPerPixel;
  return decoded.values < needed ? `the decoded frame holds ${decoded.values} values, the header's image ${needed}` : null;
}

/** Failed frames of one series by slice index, with their reason. */
export type FrameFailures = Readonly<Record<number, string>>;

export function withFailure(failures: FrameFailures, index: number, reason: string): FrameFailures {
  return failures[index] === reason ? failures : { ...failures, [index]: reason };
}
