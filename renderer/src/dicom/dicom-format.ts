/**
 * Display forms of DICOM values. Everything here returns plain strings that React renders as
 * text; nothing is ever interpreted as markup.
 */

/** A person name on one line, every component group kept (dicom/person-name.ts says the order). */
export { formatPersonName } from './person-name.ts';

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
