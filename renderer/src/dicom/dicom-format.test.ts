import { describe, expect, it } from 'vitest';
import { formatDicomDate, formatDicomTime, formatPersonName } from './dicom-format.ts';

describe('DICOM display formats', () => {
  it('formats person names from their components', () => {
    expect(formatPersonName('DOE^JANE')).toBe('DOE, JANE');
    expect(formatPersonName('HOUSE^GREGORY^^DR')).toBe('HOUSE, DR GREGORY');
    expect(formatPersonName("O'BRIEN^SEÁN")).toBe("O'BRIEN, SEÁN");
    expect(formatPersonName('Yamada^Tarou=山田^太郎')).toBe('山田 太郎 (Yamada, Tarou)');
    expect(formatPersonName('<script>alert(1)</script>^Mallory')).toBe('<script>alert(1)</script>, Mallory');
    expect(formatPersonName(null)).toBe('');
  });

  it('formats dates and times, leaving odd values as they are', () => {
    expect(formatDicomDate('20240312')).toBe('2024-03-12');
    expect(formatDicomDate('2024')).toBe('2024');
    expect(formatDicomTime('091412.5')).toBe('09:14');
    expect(formatDicomTime('')).toBe('');
  });
});
