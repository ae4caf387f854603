// Loaded by the SQLite writer's thread as well: no database code here.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One key of the audit chain's HMAC, named by an id derived from it (stored in each row). */
export interface AuditKey {
  id: string;
  secret: string;
}

/**
 * The keys of the audit chain: `current` signs new rows; every key (current and retired) verifies.
 * The key file holds one key a line, the current one first; retired keys stay below it after a
 * rotation so rows they signed still verify (docs/security.md, "Audit log").
 */
export interface AuditKeys {
  current: AuditKey | undefined;
  byId: ReadonlyMap<string, string>;
}

export const NO_AUDIT_KEYS: AuditKeys = { current: undefined, byId: new Map() };

/** The id stored with each row: the first 16 hex digits of a hash of the key (not the key). */
export function auditKeyId(secret: string): string {
  return createHash('sha256').update('reading-station audit key\n').update(secret).digest('hex').slice(0, 16);
}

export function auditKeysFromText(text: string): AuditKeys {
  const secrets = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const secret of secrets) if (secret.length < 32) throw new Error('audit key file: every key must be at least 32 characters');
  if (secrets.length === 0) throw new Error('audit key file: no key');
  const keys = secrets.map((secret) => ({ id: auditKeyId(secret), secret }));
  return { current: keys[0], byId: new Map(keys.map((key) => [key.id, key.secret])) };
}

/** Reads the key file named in the configuration (`audit.keyFile`); no file, no keys (an unkeyed chain). */
export function loadAuditKeys(keyFile: string | undefined): AuditKeys {
  return keyFile === undefined ? NO_AUDIT_KEYS : auditKeysFromText(readFileSync(keyFile, 'utf8'));
}
