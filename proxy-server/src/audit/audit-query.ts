import type { RsDatabase } from '../db/database.ts';
import type { AuditLogRow } from '../db/schema.ts';

export interface AuditPageOptions {
  /** Only rows at or after this time (ISO 8601, as stored in `at`). */
  since?: string | undefined;
  /** Rows per query: the whole log is never held in memory. */
  pageSize?: number;
}

/** The audit log in id order, one page (array of rows) at a time. */
export async function* auditLogPages(db: RsDatabase, { since, pageSize = 1000 }: AuditPageOptions = {}): AsyncGenerator<AuditLogRow[]> {
  let lastId = 0;
  for (;;) {
    let query = db.selectFrom('audit_log').selectAll().where('id', '>', lastId).orderBy('id', 'asc').limit(pageSize);
    if (since !== undefined) query = query.where('at', '>=', since);
    const rows = await query.execute();
    if (rows.length === 0) return;
    yield rows;
    lastId = rows[rows.length - 1]!.id;
  }
}

/** The audit log in id order, row by row (read a page at a time): what `audit export` writes out. */
export async function* auditLogRows(db: RsDatabase, options: AuditPageOptions = {}): AsyncGenerator<AuditLogRow> {
  for await (const page of auditLogPages(db, options)) yield* page;
}
