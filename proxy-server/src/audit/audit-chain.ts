// Loaded by the SQLite writer's thread as well: no database code here, only hashing.
import { createHash } from 'node:crypto';
import type { AuditLogRow } from '../db/schema.ts';
import type { TimedAuditEvent } from './audit-events.ts';
import { auditText } from './audit-text.ts';

/** The fields a row's hash covers, in a fixed order; the row id is covered so rows cannot move. */
export type ChainedFields = Omit<AuditLogRow, 'hash'>;

/**
 * hash = SHA-256(previous hash ‖ canonical row). Editing a row breaks its own hash; deleting or
 * reordering rows breaks the next row's link. The newest hash (the head) can be recorded
 * elsewhere, since deleting the last rows is only visible against a recorded head.
 */
export function auditRowHash(row: ChainedFields): string {
  const canonical = JSON.stringify([
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
  ]);
  return createHash('sha256').update(row.prev_hash ?? '').update('\n').update(canonical).digest('hex');
}

export type ChainProblem =
  | { kind: 'edited'; rowId: number }
  | { kind: 'deleted'; rowId: number; expectedId: number }
  | { kind: 'relinked'; rowId: number };

/** Checks rows in id order, continuing from the previous batch's last row. */
export function checkChainSegment(rows: readonly AuditLogRow[], previous: AuditLogRow | undefined): ChainProblem | undefined {
  let prev = previous;
  for (const row of rows) {
    const expectedId = prev ? prev.id + 1 : 1;
    if (row.id !== expectedId) return { kind: 'deleted', rowId: row.id, expectedId };
    if (row.prev_hash !== (prev?.hash ?? null)) return { kind: 'relinked', rowId: row.id };
    if (auditRowHash(row) !== row.hash) return { kind: 'edited', rowId: row.id };
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
export function chainRows(batch: readonly TimedAuditEvent[], head: { id: number; hash: string } | undefined): AuditLogRow[] {
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
    };
    const row = { ...fields, hash: auditRowHash(fields) };
    prevId = row.id;
    prevHash = row.hash;
    return row;
  });
}
