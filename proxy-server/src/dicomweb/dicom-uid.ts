/**
 * DICOM's UI value representation (PS3.5 §9.1): at most 64 characters, components of digits
 * separated by dots, no component with a leading zero (a lone "0" is allowed), at least two
 * components. Nothing else can reach Orthanc or the audit log as a UID.
 */
const UID_PATTERN = /^(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+$/;

export const MAX_UID_LENGTH = 64;

export function isDicomUid(value: string): boolean {
  return value.length <= MAX_UID_LENGTH && UID_PATTERN.test(value);
}
