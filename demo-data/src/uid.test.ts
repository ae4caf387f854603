import { describe, expect, it } from 'vitest';

import { isValidDicomUid, nameBasedUuidBytes, uidFromName } from './uid.ts';

describe('uidFromName', () => {
  it('is deterministic, distinct per name and valid', () => {
    const a = uidFromName('study/a');
    expect(uidFromName('study/a')).toBe(a);
    expect(uidFromName('study/b')).not.toBe(a);
    expect(a).toMatch(/^2\.25\.[1-9][0-9]*$/);
    expect(a.length).toBeLessThanOrEqual(44);
    expect(isValidDicomUid(a)).toBe(true);
  });

  it('reads a version 5, RFC-variant UUID as one integer', () => {
    const bytes = nameBasedUuidBytes('study/a');
    expect(bytes.length).toBe(16);
    expect((bytes[6] ?? 0) >> 4).toBe(5);
    expect((bytes[8] ?? 0) >> 6).toBe(0b10);
    expect(uidFromName('study/a')).toBe(`2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`);
  });
});

describe('isValidDicomUid', () => {
  it.each(['1.2.840.10008.1.2.4.201', '2.25.0', '1.0.3', `1.${'2'.repeat(62)}`])('accepts %s', (uid) => {
    expect(isValidDicomUid(uid)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['one component', '1'],
    ['leading zero', '1.02.3'],
    ['empty component', '1..2'],
    ['trailing dot', '1.2.'],
    ['letters', '1.2.a'],
    ['space', '1.2 .3'],
    ['longer than 64', `1.${'2'.repeat(63)}`],
  ])('rejects %s', (_label, uid) => {
    expect(isValidDicomUid(uid)).toBe(false);
  });
});
