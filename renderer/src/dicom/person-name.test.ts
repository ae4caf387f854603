import { describe, expect, it } from 'vitest';
import { stringValue } from './dicom-json.ts';
import { displayPersonName, formatPersonName, matchesSearch, personNameGroups, searchTerms } from './person-name.ts';

describe('person names for display', () => {
  it('shows an alphabetic-only name as FAMILY, GIVEN, prefix and suffix included', () => {
    expect(formatPersonName('DOE^JANE')).toBe('DOE, JANE');
    expect(formatPersonName('HOUSE^GREGORY^^DR')).toBe('HOUSE, DR GREGORY');
    expect(formatPersonName('Διονυσιος')).toBe('Διονυσιος');
    expect(displayPersonName('DOE^JANE')).toEqual({ primary: 'DOE, JANE', others: [], title: '' });
    expect(formatPersonName(null)).toBe('');
  });

  it('keeps every group: the ideographic first, then the alphabetic, then the phonetic', () => {
    expect(personNameGroups('Yamada^Tarou=山田^太郎=やまだ^たろう')).toEqual([
      { kind: 'ideographic', text: '山田 太郎' },
      { kind: 'alphabetic', text: 'Yamada, Tarou' },
      { kind: 'phonetic', text: 'やまだ たろう' },
    ]);
    expect(formatPersonName('Wang^XiaoDong=王^小東')).toBe('王 小東 (Wang, XiaoDong)');
    expect(displayPersonName('Wang^XiaoDong=王^小東=')).toEqual({
      primary: '王 小東',
      others: [{ kind: 'alphabetic', text: 'Wang, XiaoDong' }],
      title: 'Ideographic: 王 小東 · Alphabetic: Wang, XiaoDong',
    });
  });

  it('falls back to the phonetic group when it is the only one', () => {
    expect(formatPersonName('==やまだ^たろう')).toBe('やまだ たろう');
    expect(formatPersonName('=김^희중')).toBe('김 희중');
  });

  it('reads every group of a DICOM JSON PN value', () => {
    const pn = (value: Record<string, string>) => ({ '00100010': { vr: 'PN', Value: [value] } });
    expect(stringValue(pn({ Alphabetic: 'Wang^XiaoDong', Ideographic: '王^小東' }), '00100010')).toBe('Wang^XiaoDong=王^小東');
    expect(stringValue(pn({ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }), '00100010')).toBe('Yamada^Tarou=山田^太郎=やまだ^たろう');
    expect(stringValue(pn({ Ideographic: '김^희중' }), '00100010')).toBe('=김^희중');
    expect(stringValue(pn({ Alphabetic: 'DOE^JANE' }), '00100010')).toBe('DOE^JANE');
    expect(stringValue(pn({}), '00100010')).toBeNull();
  });

  it('returns markup as plain text', () => {
    expect(formatPersonName('<script>alert(1)</script>^Mallory')).toBe('<script>alert(1)</script>, Mallory');
  });
});

describe('person names in a search', () => {
  it('reads a name however it is typed', () => {
    expect(searchTerms('DOE, JANE')).toEqual(['doe', 'jane']);
    expect(searchTerms('Jane Doe')).toEqual(['jane', 'doe']);
    expect(searchTerms('doe^jane')).toEqual(['doe', 'jane']);
  });

  it('matches every term, partially, in any case and any group', () => {
    for (const q of ['DOE, JANE', 'Jane Doe', 'doe^jane', 'do ja']) expect(matchesSearch(['DOE^JANE'], q), q).toBe(true);
    expect(matchesSearch(['DOE^JANE'], 'Jane Smith')).toBe(false);
    expect(matchesSearch(['Wang^XiaoDong=王^小東'], '小東')).toBe(true);
    expect(matchesSearch(['Hong^Gildong=洪^吉洞=홍^길동'], '길동')).toBe(true);
    expect(matchesSearch(['Διονυσιος'], 'ΔΙΟΝΥΣ')).toBe(true);
  });
});
