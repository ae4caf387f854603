// Loaded by the SQLite writer's thread as well: no database code here.

/**
 * C0 (U+0000–U+001F), DEL, C1 (U+0080–U+009F), the noncharacters U+FFFE/U+FFFF and lone UTF-16
 * surrogates: none may be stored in, or exported from, an audit row. Control characters would let a
 * typed username drive the terminal of whoever reads the log (ANSI escapes) and make the XML export
 * ill-formed; the rest cannot be represented in XML 1.0 or in well-formed UTF-8.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The one normalisation of audit text: unsafe characters removed, everything else kept as typed. */
export function auditText(value: string): string;
export function auditText(value: string | undefined): string | undefined;
export function auditText(value: string | null): string | null;
export function auditText(value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? value.replace(UNSAFE, '') : value;
}

/** A row (or any record) with every string field normalised: used before a row is exported. */
export function auditTextFields<T extends object>(row: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key] = typeof value === 'string' ? auditText(value) : value;
  return out as T;
}
