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
 * Why a decoded frame cannot be the header's image: it holds fewer values than Rows × Columns ×
 * samples. A decoder may "succeed" without an image — Cornerstone's OpenJPEG returns a frame of
 * 0 × 0 for a codestream whose size marker is corrupt (pydicom's
 * JPEG2000-embedded-sequence-delimiter.dcm) — and the frame would be drawn black as if it were one.
 * Null when the frame is whole.
 */
export function decodedFrameShortfall(values: number, layout: { rows: number; columns: number; samplesPerPixel: number }): string | null {
  const needed = layout.rows * layout.columns * layout.samplesPerPixel;
  return values < needed ? `the decoded frame holds ${values} values, the header's image ${needed}` : null;
}

/** Failed frames of one series by slice index, with their reason. */
export type FrameFailures = Readonly<Record<number, string>>;

export function withFailure(failures: FrameFailures, index: number, reason: string): FrameFailures {
  return failures[index] === reason ? failures : { ...failures, [index]: reason };
}
