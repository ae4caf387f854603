// Loaded by the SQLite writer's thread as well: no database code here, only hashing.
import { createHash, createHmac } from 'node:crypto';
import type { AuditLogRow } from '../db/schema.ts';
import type { TimedAuditEvent } from './audit-events.ts';
import type { AuditKeys } from './audit-keys.ts';
import { auditText } from './audit-text.ts';

/** The fields a row's hash covers, in a fixed order; the row id is covered so rows cannot move. */
export type ChainedFields = Omit<AuditLogRow, 'hash'>;

/**
 * A keyed row (key_id set): hash = HMAC-SHA-256(key, previous hash ‖ canonical row incl. key id).
 * A row written before the chain was keyed (key_id null): hash = SHA-256(previous hash ‖ canonical
 * row). Editing a row breaks its own hash, and without the key it cannot be recomputed; deleting or
 * reordering rows breaks the next row's link; deleting the last rows shows against the anchor file
 * (audit-anchor.ts), where the head is recorded outside the database.
 */
export function auditRowHash(row: ChainedFields, secret?: string): string {
  const fields = [
    row.id,
    row.at,
    row.request_id,
    row.user_id,
    row.username,
    row.role,
    row.action,
    row.study_uid,
    row.series_uid,
    row.instance_uid,
    row.route_kind,
    row.client_ip,
    row.user_agent,
    row.result,
    row.reason,
    row.prev_hash,
  ];
  if (row.key_id === null) return createHash('sha256').update(row.prev_hash ?? '').update('\n').update(JSON.stringify(fields)).digest('hex');
  if (secret === undefined) throw new Error(`no audit key ${row.key_id}`);
  return createHmac('sha256', secret).update(row.prev_hash ?? '').update('\n').update(JSON.stringify([...fields, row.key_id])).digest('hex');
}

export type ChainProblem =
  | { kind: 'edited'; rowId: number }
  | { kind: 'unknown-key'; rowId: number; keyId: string }
  | { kind: 'unkeyed'; rowId: number }
  | { kind: 'deleted'; rowId: number; expectedId: number }
  | { kind: 'relinked'; rowId: number };

/** Checks rows in id order, continuing from the previous batch's last row. */
export function checkChainSegment(rows: readonly AuditLogRow[], previous: AuditLogRow | undefined, keys: AuditKeys): ChainProblem | undefined {
  let prev = previous;
  for (const row of rows) {
    const expectedId = prev ? prev.id + 1 : 1;
    if (row.id !== expectedId) return { kind: 'deleted', rowId: row.id, expectedId };
    if (row.prev_hash !== (prev?.hash ?? null)) return { kind: 'relinked', rowId: row.id };
    // Unkeyed rows are the ones from before the chain was keyed: never after a keyed row.
    if (row.key_id === null && prev !== undefined && prev.key_id !== null) return { kind: 'unkeyed', rowId: row.id };
    const secret = row.key_id === null ? undefined : keys.byId.get(row.key_id);
    if (row.key_id !== null && secret === undefined) return { kind: 'unknown-key', rowId: row.id, keyId: row.key_id };
    if (auditRowHash(row, secret) !== row.hash) return { kind: 'edited', rowId: row.id };
    prev = row;
  }
  return undefined;
}

/** Normalised (control characters stripped, see audit-text.ts), then cut to the column's size. */
const clip = (raw: string | undefined, max: number): string | null => {
  if (raw === undefined) return null;
  const value = auditText(raw);
  return value.length > max ? auditText(value.slice(0, max)) : value;
};

/** Turns a batch of events into rows chained onto `head` (the newest row so far, if any). */
export function chainRows(batch: readonly TimedAuditEvent[], head: { id: number; hash: string } | undefined, keys: AuditKeys): AuditLogRow[] {
  const key = keys.current;
  let prevId = head?.id ?? 0;
  let prevHash: string | null = head?.hash ?? null;
  return batch.map(({ event, at }) => {
    const fields = {
      id: prevId + 1,
      at,
      request_id: clip(event.requestId, 128),
      user_id: event.userId ?? null,
      username: clip(event.username, 128),
      role: clip(event.role, 32),
      action: auditText(event.action),
      study_uid: clip(event.studyUid, 64),
      series_uid: clip(event.seriesUid, 64),
      instance_uid: clip(event.instanceUid, 64),
      route_kind: clip(event.routeKind, 64),
      client_ip: clip(event.clientIp, 64),
      user_agent: clip(event.userAgent, 512),
      result: auditText(event.result),
      reason: clip(event.reason, 512),
      prev_hash: prevHash,
      key_id: key?.id ?? null,
    };
    const row = { ...fields, hash: auditRowHash(fields, key?.secret) };
    prevId = row.id;
    prevHash = row.hash;
    return row;
  });
}
