/**
 * Display forms of DICOM values. Everything here returns plain strings that React renders as
 * text; nothing is ever interpreted as markup.
 */

/** `DOE^JANE^^DR` → `DOE, JANE`; only the alphabetic component group is shown. */
export function formatPersonName(pn: string | null | undefined): string {
  if (!pn) return '';
  const alphabetic = pn.split('=')[0] ?? '';
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = alphabetic.split('^').map((part) => part.trim());
  const givenPart = [prefix, given, middle].filter(Boolean).join(' ');
  const name = [family, givenPart].filter(Boolean).join(', ');
  return suffix ? `${name} ${suffix}` : name;
}

/** `20240312` → `2024-03-12` (ISO, unambiguous across locales); anything else as given. */
export function formatDicomDate(da: string | null | undefined): string {
  if (!da) return '';
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return match ? `${match[1]}-${match[2]}-${match[3]}` : da;
}

/** `091412.123` → `09:14`. */
export function formatDicomTime(tm: string | null | undefined): string {
  if (!tm) return '';
  const match = /^(\d{2})(\d{2})/.exec(tm.trim());
  return match ? `${match[1]}:${match[2]}` : tm;
}
