import { describe, expect, it } from 'vitest';
import { describeDecode, summariseDecode } from './viewer.ts';

describe('decode time per frame', () => {
  it('summarises per-frame decode times as median and nearest-rank p90', () => {
    const decodeMs = [30, 10, 20, 40, 50, 60, 70, 80, 90, 100];
    expect(summariseDecode(decodeMs)).toEqual({ frames: 10, medianMs: 55, p90Ms: 90 });
  });

  it('reports nothing when the viewer gave no figures', () => {
    expect(summariseDecode([])).toBeNull();
    expect(describeDecode(null)).toBe('not reported');
  });
});
