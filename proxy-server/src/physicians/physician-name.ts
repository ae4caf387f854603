/**
 * The key a DICOM person name (PN) is filed under in the physician directory: the alphabetic
 * component group (before the first `=`), each component trimmed with inner runs of spaces made
 * one, trailing empty components dropped, upper-cased. `House^Gregory^^` and `HOUSE^GREGORY` are
 * the same physician; `HOUSE^GREGORY^^DR` is not (a prefix is part of what the modality sent).
 * Null for an empty name.
 */
export function physicianNameKey(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const alphabetic = name.split('=')[0] ?? '';
  const components = alphabetic.split('^').map((component) => component.trim().replace(/\s+/g, ' ').toUpperCase());
  while (components.length > 0 && components[components.length - 1] === '') components.pop();
  const key = components.join('^');
  return key === '' ? null : key;
}
