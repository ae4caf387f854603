import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { RsDatabase } from '../db/database.ts';
import { createTempDatabase } from '../testing/temp-database.ts';
import { PG_SKIP_REASON, createTempPostgres, testPgAdminUrl } from '../testing/temp-postgres.ts';
import { AuditLog, AuditUnavailableError, verifyAuditLog } from './audit-log.ts';

let temp: { db: RsDatabase; dispose(): Promise<void> } | undefined;
afterEach(async () => {
  await temp?.dispose();
  temp = undefined;
});

const backends = [
  { name: 'SQLite', skip: false, create: () => createTempDatabase() },
  { name: `PostgreSQL${testPgAdminUrl ? '' : ` (${PG_SKIP_REASON})`}`, skip: !testPgAdminUrl, create: () => createTempPostgres() },
];

const access = (n: number) => ({
  action: 'DICOM_ACCESS' as const,
  result: 'success' as const,
  requestId: `req-${n}`,
  userId: 7,
  username: 'rad.curie',
  role: 'radiologist',
  studyUid: '1.2.3',
  routeKind: 'study.metadata',
  clientIp: '127.0.0.1',
});

describe.each(backends)('AuditLog on $name', ({ skip, create }) => {
  it.skipIf(skip)('commits each row before append resolves, chained to the one before', async () => {
    temp = await create();
    const log = new AuditLog(temp.db);
    const ids = await Promise.all(Array.from({ length: 120 }, (_, n) => log.append(access(n))));
    expect(ids).toEqual(Array.from({ length: 120 }, (_, n) => n + 1));
    const rows = await temp.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(rows).toHaveLength(120);
    expect(rows[0]?.prev_hash).toBeNull();
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(120);
    expect(await verifyAuditLog(temp.db)).toEqual({ ok: true, rows: 120, head: rows[119]?.hash });
  });

  it.skipIf(skip)('names the edited row', async () => {
    temp = await create();
    const log = new AuditLog(temp.db);
    for (let n = 0; n < 10; n++) await log.append(access(n));
    await temp.db.updateTable('audit_log').set({ result: 'denied' }).where('id', '=', 4).execute();
    const verification = await verifyAuditLog(temp.db);
    expect(verification).toMatchObject({ ok: false, rows: 3, problem: { kind: 'edited', rowId: 4 } });
  });

  it.skipIf(skip)('names the row after a deletion', async () => {
    temp = await create();
    const log = new AuditLog(temp.db);
    for (let n = 0; n < 10; n++) await log.append(access(n));
    await temp.db.deleteFrom('audit_log').where('id', '=', 6).execute();
    const verification = await verifyAuditLog(temp.db);
    expect(verification).toMatchObject({ ok: false, problem: { kind: 'deleted', rowId: 7, expectedId: 6 } });
    if (!verification.ok) expect(verification.message).toContain('row 6 is missing');
  });

  it.skipIf(skip)('finds reordered rows even when ids are swapped back', async () => {
    temp = await create();
    const log = new AuditLog(temp.db);
    for (let n = 0; n < 5; n++) await log.append({ ...access(n), studyUid: `1.2.${n + 1}` });
    // Swap the content of rows 2 and 3, keeping ids in sequence.
    await sql`update audit_log set id = -2 where id = 2`.execute(temp.db);
    await sql`update audit_log set id = 2 where id = 3`.execute(temp.db);
    await sql`update audit_log set id = 3 where id = -2`.execute(temp.db);
    const verification = await verifyAuditLog(temp.db);
    expect(verification.ok).toBe(false);
    if (!verification.ok) expect(verification.problem.rowId).toBe(2);
  });

  it.skipIf(skip)('continues the chain across restarts', async () => {
    temp = await create();
    await new AuditLog(temp.db).append(access(1));
    await new AuditLog(temp.db).append(access(2));
    expect(await verifyAuditLog(temp.db)).toMatchObject({ ok: true, rows: 2 });
  });

  it.skipIf(skip)('keeps one chain when several gate processes write at once', async () => {
    temp = await create();
    const db = temp.db;
    // Separate AuditLog instances stand for separate processes: they share only the database.
    const writers = [new AuditLog(db), new AuditLog(db), new AuditLog(db)];
    await Promise.all(Array.from({ length: 90 }, (_, n) => writers[n % 3]!.append(access(n))));
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true, rows: 90 });
  });
});

describe('AuditLog when the store fails', () => {
  it('rejects with AuditUnavailableError when the store cannot be written', async () => {
    temp = await createTempDatabase();
    const log = new AuditLog(temp.db);
    await log.append(access(1));
    // A read-only database file: the write fails, the caller must not proceed.
    await sql`pragma query_only = ON`.execute(temp.db);
    await expect(log.append(access(2))).rejects.toBeInstanceOf(AuditUnavailableError);
    await sql`pragma query_only = OFF`.execute(temp.db);
    await expect(log.append(access(3))).resolves.toBe(2);
  });
});
