import { describe, expect, it } from 'vitest';
import { isSupportedOrthancVersion, parseOrthancVersion } from './orthanc.ts';

describe('Orthanc version check', () => {
  it('reads the version Orthanc prints', () => {
    expect(parseOrthancVersion('Orthanc 1.13.0\nCopyright (C) 2012-2016 ...')).toEqual([1, 13, 0]);
    expect(parseOrthancVersion('/usr/sbin/Orthanc 1.12.7\n')).toEqual([1, 12, 7]);
    expect(parseOrthancVersion('something else')).toBeUndefined();
  });

  it('accepts 1.13 and later, refuses what cannot serve HTJ2K frames', () => {
    expect(isSupportedOrthancVersion([1, 13, 0])).toBe(true);
    expect(isSupportedOrthancVersion([1, 13, 1])).toBe(true);
    expect(isSupportedOrthancVersion([1, 14, 0])).toBe(true);
    expect(isSupportedOrthancVersion([2, 0, 0])).toBe(true);
    expect(isSupportedOrthancVersion([1, 12, 7])).toBe(false);
    expect(isSupportedOrthancVersion([1, 10, 1])).toBe(false);
    expect(isSupportedOrthancVersion([0, 99, 99])).toBe(false);
  });
});
