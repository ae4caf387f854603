import { createHash } from 'node:crypto';
import type { AuditLogRow } from '../db/schema.ts';

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
