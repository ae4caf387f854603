/**
 * DICOM person names (PN) as people search for them. A PN holds up to three component groups
 * separated by `=` (alphabetic, ideographic, phonetic: `Wang^XiaoDong=王^小東=`), each with up to
 * five components separated by `^` (family, given, middle, prefix, suffix). Staff type names the
 * way they say or write them: `DOE, JANE`, `Jane Doe`, `doe^jane`, `王小東`, `김희중`.
 */

/** At most this many terms count; a longer search is narrowed enough by its first ones. */
export const MAX_SEARCH_TERMS = 8;

/**
 * The form both sides of a comparison take: Unicode NFC, lower-cased in every script with case
 * (not only ASCII), Greek final sigma as sigma (`ΔΙΟΝΥΣ` lower-cases to `διονυς`, a prefix of
 * `διονυσιος` once both sigmas are one letter). The SQL side is `FOLD_SQL`.
 */
export function foldForSearch(text: string): string {
  return text.normalize('NFC').toLowerCase().replaceAll('ς', 'σ');
}

/**
 * A search text as terms: split at spaces, commas and the PN separators `^` and `=`, folded.
 * Every term must be found, in any order and in any group, so the word order and punctuation of
 * a name do not matter.
 */
export function searchTerms(text: string): string[] {
  const terms = foldForSearch(text)
    .split(/[\s,^=]+/u)
    .filter((term) => term !== '');
  return [...new Set(terms)].slice(0, MAX_SEARCH_TERMS);
}

/** Whether every term of `search` occurs in one of `fields` (a PN field matches in any group). */
export function matchesSearch(fields: ReadonlyArray<string | null | undefined>, search: string): boolean {
  const haystacks = fields.filter((field): field is string => typeof field === 'string').map(foldForSearch);
  return searchTerms(search).every((term) => haystacks.some((field) => field.includes(term)));
}
