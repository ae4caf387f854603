import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorFromStatus } from '../api/api-error.ts';
import { FRAME_CORRUPT, FRAME_REFUSED, FRAME_UNSUPPORTED_SYNTAX, frameProblemOf, withFailure } from './frame-failures.ts';

describe('frame failures', () => {
  it('marks a frame the archive refuses (400) or cannot send in a readable syntax (406, 415)', () => {
    expect(frameProblemOf({ status: 400 }, apiErrorFromStatus(400, null))).toBe(FRAME_REFUSED);
    expect(frameProblemOf({ status: 406 }, apiErrorFromStatus(406, null))).toBe(FRAME_UNSUPPORTED_SYNTAX);
    expect(frameProblemOf({ status: 415 }, apiErrorFromStatus(415, null))).toBe(FRAME_UNSUPPORTED_SYNTAX);
  });

  it('tells a transfer syntax without a decoder from data that cannot be decoded', () => {
    const decode = new ApiError('IMAGE_DECODE_FAILED');
    expect(frameProblemOf(new Error('no decoder for transfer syntax 1.2.840.10008.1.2.4.100'), decode)).toBe(FRAME_UNSUPPORTED_SYNTAX);
    expect(frameProblemOf(new Error('unsupported pixel format for RLE'), decode)).toBe(FRAME_CORRUPT);
  });

  it('leaves the server’s failures to the banner', () => {
    for (const status of [401, 403, 404, 500, 502, 503, 504]) expect(frameProblemOf({ status }, apiErrorFromStatus(status, null))).toBeNull();
    expect(frameProblemOf({ status: 0 }, new ApiError('SERVER_UNREACHABLE'))).toBeNull();
  });

  it('records one reason per slice', () => {
    const once = withFailure({}, 3, FRAME_REFUSED);
    expect(once).toEqual({ 3: FRAME_REFUSED });
    expect(withFailure(once, 3, FRAME_REFUSED)).toBe(once);
  });
});
