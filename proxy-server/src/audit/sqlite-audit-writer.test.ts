import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { auditKeysFromText } from './audit-keys.ts';
import { AuditLog, AuditUnavailableError, verifyAuditLog } from './audit-log.ts';
import { SqliteAuditWriter } from './sqlite-audit-writer.ts';

let temp: TempDatabase | undefined;
const writers: SqliteAuditWriter[] = [];
afterEach(async () => {
  await Promise.all(writers.splice(0).map((writer) => writer.close()));
  await temp?.dispose();
  temp = undefined;
});

function writer(filename: string, busyTimeoutMs?: number, keys?: ReturnType<typeof auditKeysFromText>): SqliteAuditWriter {
  const created = new SqliteAuditWriter(filename, { ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }), ...(keys ? { keys } : {}) });
  writers.push(created);
  return created;
}

const access = (n: number) => ({ action: 'DICOM_ACCESS' as const, result: 'success' as const, requestId: `req-${n}`, username: 'rad', studyUid: '1.2.3' });

describe('SqliteAuditWriter', () => {
  it('commits every row before append resolves, in one chain with rows written by AuditLog', async () => {
    temp = await createTempDatabase();
    await new AuditLog(temp.db).append(access(0));
    const log = writer(temp.filename);
    const ids = await Promise.all(Array.from({ length: 200 }, (_, n) => log.append(access(n + 1))));
    expect(ids).toEqual(Array.from({ length: 200 }, (_, n) => n + 2));
    const rows = await temp.db.selectFrom('audit_log').select(['id', 'request_id']).orderBy('id').execute();
    expect(rows).toHaveLength(201);
    expect(rows[200]).toEqual({ id: 201, request_id: 'req-200' });
    expect(await verifyAuditLog(temp.db)).toMatchObject({ ok: true, rows: 201 });
  });

  it('commits, when closed, the rows appended in the same turn before their message went out', async () => {
    temp = await createTempDatabase();
    const log = new SqliteAuditWriter(temp.filename);
    const appended = Array.from({ length: 5 }, (_, n) => log.append(access(n + 1)));
    await log.close();
    expect(await Promise.all(appended)).toEqual([1, 2, 3, 4, 5]);
    expect(await temp.db.selectFrom('audit_log').select('request_id').orderBy('id').execute()).toEqual(Array.from({ length: 5 }, (_, n) => ({ request_id: `req-${n + 1}` })));
  });

  it('signs rows with the current audit key in its thread; they verify with the key only', async () => {
    temp = await createTempDatabase();
    const keys = auditKeysFromText('s'.repeat(40));
    await new AuditLog(temp.db).append(access(0));
    const log = writer(temp.filename, undefined, keys);
    await Promise.all(Array.from({ length: 10 }, (_, n) => log.append(access(n + 1))));
    const rows = await temp.db.selectFrom('audit_log').select(['id', 'key_id']).orderBy('id').execute();
    expect(rows.map((row) => row.key_id)).toEqual([null, ...Array.from({ length: 10 }, () => keys.current?.id)]);
    expect(await verifyAuditLog(temp.db, { keys })).toMatchObject({ ok: true, rows: 11 });
    expect(await verifyAuditLog(temp.db)).toMatchObject({ ok: false, problem: { kind: 'unknown-key', rowId: 2 } });
  });

  it('keeps one chain when two gate processes write to the same file', async () => {
    temp = await createTempDatabase();
    const [a, b] = [writer(temp.filename), writer(temp.filename)];
    await Promise.all(Array.from({ length: 100 }, (_, n) => (n % 2 ? a : b).append(access(n))));
    expect(await verifyAuditLog(temp.db)).toMatchObject({ ok: true, rows: 100 });
  });

  it('rejects with AuditUnavailableError while another writer holds the lock, and recovers', async () => {
    temp = await createTempDatabase();
    const log = writer(temp.filename, 200);
    await log.append(access(1));
    const blocker = new Database(temp.filename);
    blocker.exec('begin immediate');
    try {
      await expect(log.append(access(2))).rejects.toBeInstanceOf(AuditUnavailableError);
    } finally {
      blocker.exec('rollback');
      blocker.close();
    }
    await expect(log.append(access(3))).resolves.toBe(2);
  });
});
