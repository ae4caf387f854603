/**
 * DICOM person names (PN) as hospital staff read and type them. A PN holds up to three component
 * groups separated by `=`: alphabetic, ideographic and phonetic (`Wang^XiaoDong=王^小東`,
 * `Yamada^Tarou=山田^太郎=やまだ^たろう`), each with up to five components separated by `^`
 * (family, given, middle, prefix, suffix). Every group is kept; none is dropped for display.
 *
 * Display order (docs/architecture.md, "Patient names"): the ideographic group first when there is
 * one (it is how the patient's name is written), else the alphabetic, else the phonetic; the
 * others follow it. The alphabetic group reads `FAMILY, GIVEN MIDDLE`; the ideographic and
 * phonetic ones `FAMILY GIVEN` (family name first, no comma, as those scripts write it).
 */

export type PersonNameGroupKind = 'ideographic' | 'alphabetic' | 'phonetic';

export interface PersonNameGroup {
  kind: PersonNameGroupKind;
  /** The group as it is read, e.g. `DOE, JANE` or `山田 太郎`. */
  text: string;
}

export interface PersonNameDisplay {
  /** The group shown first; empty for an empty name. */
  primary: string;
  /** The other non-empty groups, in display order. */
  others: PersonNameGroup[];
  /** Every group, named: `Ideographic: 王 小東 · Alphabetic: Wang, XiaoDong` (a tooltip). */
  title: string;
}

const GROUP_LABELS: Readonly<Record<PersonNameGroupKind, string>> = { ideographic: 'Ideographic', alphabetic: 'Alphabetic', phonetic: 'Phonetic' };
const DISPLAY_ORDER: readonly PersonNameGroupKind[] = ['ideographic', 'alphabetic', 'phonetic'];

function formatGroup(group: string, kind: PersonNameGroupKind): string {
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = group.split('^').map((part) => part.trim());
  const givenPart = [prefix, given, middle].filter(Boolean).join(' ');
  const name = [family, givenPart].filter(Boolean).join(kind === 'alphabetic' ? ', ' : ' ');
  return suffix ? `${name} ${suffix}` : name;
}

/** The non-empty groups of a PN, in display order. */
export function personNameGroups(pn: string | null | undefined): PersonNameGroup[] {
  if (!pn) return [];
  const [alphabetic = '', ideographic = '', phonetic = ''] = pn.split('=');
  const raw: Record<PersonNameGroupKind, string> = { alphabetic, ideographic, phonetic };
  return DISPLAY_ORDER.map((kind) => ({ kind, text: formatGroup(raw[kind], kind) })).filter((group) => group.text !== '');
}

export function displayPersonName(pn: string | null | undefined): PersonNameDisplay {
  const [first, ...others] = personNameGroups(pn);
  if (!first) return { primary: '', others: [], title: '' };
  const title = others.length === 0 ? '' : [first, ...others].map((group) => `${GROUP_LABELS[group.kind]}: ${group.text}`).join(' · ');
  return { primary: first.text, others, title };
}

/** One line: the first group, the others in parentheses (`山田 太郎 (Yamada, Tarou · やまだ たろう)`). */
export function formatPersonName(pn: string | null | undefined): string {
  const { primary, others } = displayPersonName(pn);
  return others.length === 0 ? primary : `${primary} (${others.map((group) => group.text).join(' · ')})`;
}

/**
 * The form both sides of a search comparison take: Unicode NFC, lower-cased in every script with
 * case, Greek final sigma as sigma. The gate's search folds the same way (proxy-server's
 * dicom/person-name.ts); this copy serves servers answering the worklist through QIDO only.
 */
function foldForSearch(text: string): string {
  return text.normalize('NFC').toLowerCase().replaceAll('ς', 'σ');
}

/** A search text as terms: split at spaces, commas and the PN separators `^` and `=`, folded. */
export function searchTerms(text: string): string[] {
  return [...new Set(foldForSearch(text).split(/[\s,^=]+/u).filter((term) => term !== ''))];
}

/** Whether every term of `search` occurs in one of `fields` (a PN field in any of its groups). */
export function matchesSearch(fields: ReadonlyArray<string | null | undefined>, search: string): boolean {
  const haystacks = fields.filter((field): field is string => typeof field === 'string').map(foldForSearch);
  return searchTerms(search).every((term) => haystacks.some((field) => field.includes(term)));
}
