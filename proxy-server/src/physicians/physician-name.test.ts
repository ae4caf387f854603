import { describe, expect, it } from 'vitest';
import { physicianNameKey } from './physician-name.ts';

describe('physicianNameKey', () => {
  it('files spellings of one DICOM name under one key', () => {
    expect(physicianNameKey('House^Gregory^^')).toBe('HOUSE^GREGORY');
    expect(physicianNameKey(' house ^ gregory ')).toBe('HOUSE^GREGORY');
    expect(physicianNameKey('Van  der Berg^Anna')).toBe('VAN DER BERG^ANNA');
  });

  it('keeps the alphabetic group only and tells different names apart', () => {
    expect(physicianNameKey('Yamada^Tarou=山田^太郎=やまだ^たろう')).toBe('YAMADA^TAROU');
    expect(physicianNameKey('HOUSE^GREGORY^^DR')).not.toBe(physicianNameKey('HOUSE^GREGORY'));
  });

  it('has no key for an empty name', () => {
    expect(physicianNameKey(null)).toBeNull();
    expect(physicianNameKey('^^')).toBeNull();
    expect(physicianNameKey('=山田')).toBeNull();
  });
});
