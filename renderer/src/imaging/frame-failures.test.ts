import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorFromStatus } from '../api/api-error.ts';
import { decodedFrameMismatch, FRAME_CORRUPT, FRAME_REFUSED, FRAME_UNSUPPORTED_SYNTAX, frameProblemOf, withFailure } from './frame-failures.ts';

describe('frame failures', () => {
  it('takes a decoded frame of another size, or with fewer values, than the header\'s image for one that cannot be shown', () => {
    const header = { rows: 1024, columns: 256, samplesPerPixel: 1 };
    // OpenJPEG's frames of a codestream with a corrupt size marker: 0 × 0, or 512 × 512 (as many
    // values as the header's image, in another shape).
    expect(decodedFrameMismatch({ values: 0, rows: 0, columns: 0 }, header)).toBe("the decoded frame is 0 × 0, the header's image 256 × 1024");
    expect(decodedFrameMismatch({ values: 262144, rows: 512, columns: 512 }, header)).toBe("the decoded frame is 512 × 512, the header's image 256 × 1024");
    expect(decodedFrameMismatch({ values: 262144, rows: 1024, columns: 256 }, header)).toBeNull();
    expect(decodedFrameMismatch({ values: 262143, rows: 1024, columns: 256 }, header)).toBe("the decoded frame holds 262143 values, the header's image 262144");
    // Colour: three samples a pixel; RGBA (the CPU path) holds more, which is whole.
    expect(decodedFrameMismatch({ values: 2 * 2 * 3 - 1, rows: 2, columns: 2 }, { rows: 2, columns: 2, samplesPerPixel: 3 })).toMatch(/holds 11 values/);
    expect(decodedFrameMismatch({ values: 2 * 2 * 4, rows: 2, columns: 2 }, { rows: 2, columns: 2, samplesPerPixel: 3 })).toBeNull();
    // Such a frame is marked as data that cannot be decoded.
    const error = new Error("the decoded frame is 512 × 512, the header's image 256 × 1024");
    expect(frameProblemOf(error, new ApiError('IMAGE_DECODE_FAILED'))).toBe(FRAME_CORRUPT);
  });

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
