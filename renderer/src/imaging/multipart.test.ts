import { describe, expect, it } from 'vitest';
import { FRAMES_PER_REQUEST, parseRangeImageId, rangeOf } from './frame-ranges.ts';
import { parseMultipart, transferSyntaxOfPart } from './multipart.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('multipart frame responses', () => {
  it('splits parts in order, keeping binary bodies byte for byte', () => {
    const body = new Uint8Array([
      ...enc('--b1\r\nContent-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.5\r\n\r\n'),
      0, 13, 10, 45, 45, 255,
      ...enc('\r\n--b1\r\nContent-Type: image/jls\r\nContent-Location: x\r\n\r\n'),
      7, 8,
      ...enc('\r\n--b1--\r\n'),
    ]);
    const parts = parseMultipart('multipart/related; type="application/octet-stream"; boundary=b1', body);
    expect(parts.map((p) => [...p.body])).toEqual([[0, 13, 10, 45, 45, 255], [7, 8]]);
    expect(parts.map((p) => transferSyntaxOfPart(p.contentType))).toEqual(['1.2.840.10008.1.2.5', '1.2.840.10008.1.2.4.80']);
  });

  it('takes a single-part body as one frame', () => {
    expect(parseMultipart('application/octet-stream', new Uint8Array([1, 2]))).toHaveLength(1);
    expect(transferSyntaxOfPart('application/octet-stream')).toBe('1.2.840.10008.1.2.1');
  });
});

describe('frame ranges', () => {
  it('fetches 50 frames in 4 blocks', () => {
    const blocks = new Set(Array.from({ length: 50 }, (_, i) => rangeOf(i + 1, 50).join(',')));
    expect(blocks.size).toBe(Math.ceil(50 / FRAMES_PER_REQUEST));
    expect(rangeOf(50, 50)).toEqual([49, 50]);
    expect(rangeOf(1, 3)).toEqual([1, 2, 3]);
  });

  it('reads the instance and frame back from an imageId', () => {
    expect(parseRangeImageId('wadors-frames:http://h/api/ris/dicom-web/studies/1/series/2/instances/3/frames/12')).toEqual({
      instanceUrl: 'http://h/api/ris/dicom-web/studies/1/series/2/instances/3',
      frame: 12,
    });
  });
});
