import { describe, expect, it } from 'vitest';
import { matchesSearch, MAX_SEARCH_TERMS, searchTerms } from './person-name.ts';

describe('name search terms', () => {
  it('reads a name however it is typed: comma, space, PN separators, any case', () => {
    expect(searchTerms('DOE, JANE')).toEqual(['doe', 'jane']);
    expect(searchTerms('Jane Doe')).toEqual(['jane', 'doe']);
    expect(searchTerms('doe^jane')).toEqual(['doe', 'jane']);
    expect(searchTerms('  Wang^XiaoDong=王^小東  ')).toEqual(['wang', 'xiaodong', '王', '小東']);
    expect(searchTerms('ΔΙΟΝΥΣΙΟΣ')).toEqual(['διονυσιοσ']);
    expect(searchTerms(' , ^ = ')).toEqual([]);
  });

  it('keeps NFC forms and drops repeated terms, up to the limit', () => {
    expect(searchTerms('SEA\u0301N')).toEqual(['seán']);
    expect(searchTerms('a a b')).toEqual(['a', 'b']);
    expect(searchTerms(Array.from({ length: 20 }, (_, i) => `t${i}`).join(' '))).toHaveLength(MAX_SEARCH_TERMS);
  });

  it('matches every term in any group and any field, partially and case-insensitively', () => {
    expect(matchesSearch(['DOE^JANE'], 'DOE, JANE')).toBe(true);
    expect(matchesSearch(['DOE^JANE'], 'Jane Doe')).toBe(true);
    expect(matchesSearch(['DOE^JANE'], 'do ja')).toBe(true);
    expect(matchesSearch(['DOE^JANE'], 'Jane Smith')).toBe(false);
    expect(matchesSearch(['Wang^XiaoDong=王^小東'], '小東')).toBe(true);
    expect(matchesSearch(['Wang^XiaoDong=王^小東'], 'xiaodong wang')).toBe(true);
    expect(matchesSearch(['김희중'], '희중')).toBe(true);
    expect(matchesSearch(['Διονυσιος'], 'ΔΙΟΝΥΣ')).toBe(true);
    expect(matchesSearch(['Люкceмбypг'], 'ЛЮК')).toBe(true);
    expect(matchesSearch(['DOE^JANE', 'RS-P0001', 'CT CHEST'], 'doe chest')).toBe(true);
    expect(matchesSearch([null, 'DOE^JANE'], '')).toBe(true);
  });
});
