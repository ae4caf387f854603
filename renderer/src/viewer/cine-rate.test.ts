import { describe, expect, it } from 'vitest';
import { parseCineRate } from './cine-rate.ts';

describe('cine frame rate as typed', () => {
  it('reads whole rates from 1 to 60, and more as 60', () => {
    expect(parseCineRate('3')).toBe(3);
    expect(parseCineRate('30')).toBe(30);
    expect(parseCineRate(' 12 ')).toBe(12);
    expect(parseCineRate('60')).toBe(60);
    expect(parseCineRate('600')).toBe(60);
  });

  it('stands for no rate while the field is empty, zero or not a whole number', () => {
    for (const text of ['', '0', '00', '-3', '2.5', 'e', '3e1']) expect(parseCineRate(text), text).toBeNull();
  });
});
