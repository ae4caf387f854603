/**
 * The stack's audit log as the tests read it: the gate's SQLite database, opened read-only
 * (node:sqlite; the gate keeps writing through its own connection).
 */
import { DatabaseSync } from 'node:sqlite';
import type { StackUnderTest } from './stack-under-test.ts';

export interface AuditRow {
  id: number;
  action: string;
  username: string | null;
  study_uid: string | null;
  route_kind: string | null;
}

function withAuditDatabase<T>(stack: StackUnderTest, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(stack.stack.gate.database, { readOnly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The id of the newest row (0 for an empty log): rows after it are what a test caused. */
export function lastAuditId(stack: StackUnderTest): number {
  return withAuditDatabase(stack, (db) => Number((db.prepare('select coalesce(max(id), 0) as id from audit_log').get() as { id: number }).id));
}

/** Rows written after `afterId`, oldest first. */
export function auditRowsAfter(stack: StackUnderTest, afterId: number): AuditRow[] {
  return withAuditDatabase(stack, (db) =>
    db.prepare('select id, action, username, study_uid, route_kind from audit_log where id > ? order by id').all(afterId) as unknown as AuditRow[],
  );
}
