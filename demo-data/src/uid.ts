import { createHash } from 'node:crypto';

/**
 * DICOM UIDs for the demo data, derived from names so that every run produces the same ones.
 *
 * `2.25.<n>` is the root for UIDs made from a UUID (ITU-T X.667 / PS3.5 B.2), where `<n>` is the
 * UUID read as one unsigned 128-bit integer. The UUID here is a name-based version 5 UUID
 * (SHA-1 of a fixed namespace and the name), so it is a real UUID and not just 128 random bits.
 */

/** The namespace UUID of Reading Station's demo data (itself a v5 UUID of the project name). */
const DEMO_NAMESPACE = Buffer.from('6f0e3a52c1b85f1e9a4d2c7b11e0d4a3', 'hex');

/** A UUID (RFC 9562 version 5) made from `name` in the demo namespace, as 16 bytes. */
export function nameBasedUuidBytes(name: string): Buffer {
  const digest = createHash('sha1').update(DEMO_NAMESPACE).update(name, 'utf8').digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC variant
  return bytes;
}

/** The DICOM UID `2.25.<decimal UUID>` for `name`; at most 44 characters. */
export function uidFromName(name: string): string {
  const n = BigInt(`0x${nameBasedUuidBytes(name).toString('hex')}`);
  return `2.25.${n.toString(10)}`;
}

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/;

/** DICOM's UI rule: ≤ 64 characters, dot-separated numbers, no component with a leading zero. */
export function isValidDicomUid(uid: string): boolean {
  return uid.length <= 64 && UID_PATTERN.test(uid);
}
