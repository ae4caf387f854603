import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { RsDatabase } from '../db/database.ts';
import { createTempDatabase } from '../testing/temp-database.ts';
import { PG_SKIP_REASON, createTempPostgres, testPgAdminUrl } from '../testing/temp-postgres.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditAnchor, readAuditAnchors } from './audit-anchor.ts';
import { auditRowHash } from './audit-chain.ts';
import { auditKeysFromText } from './audit-keys.ts';
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
    expect(await verifyAuditLog(temp.db)).toEqual({ ok: true, rows: 120, head: rows[119]?.hash, anchors: 0 });
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
    if (!verification.ok) expect(verification.problem).toMatchObject({ rowId: 2 });
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

const KEY_A = 'a'.repeat(20) + '-audit-key-one-0123456789';
const KEY_B = 'b'.repeat(20) + '-audit-key-two-0123456789';

describe.each(backends)('keyed audit chain on $name', ({ skip, create }) => {
  it.skipIf(skip)('an edited row re-chained without the key fails and is named', async () => {
    temp = await create();
    const keys = auditKeysFromText(KEY_A);
    const log = new AuditLog(temp.db, { keys });
    for (let n = 0; n < 5; n++) await log.append(access(n));
    expect(await verifyAuditLog(temp.db, { keys })).toMatchObject({ ok: true, rows: 5 });
    const rows = await temp.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(rows.every((row) => row.key_id === keys.current?.id)).toBe(true);
    // What the probe did: edit row 3 and recompute every hash from there, as plain SHA-256 (claiming
    // the rows predate the key) or as an HMAC under a guessed key.
    type Row = (typeof rows)[number];
    const rechains: Array<(row: Row) => Row> = [
      (row) => ({ ...row, key_id: null, hash: auditRowHash({ ...row, key_id: null }) }),
      (row) => ({ ...row, hash: auditRowHash(row, KEY_B) }),
    ];
    for (const rechain of rechains) {
      let prev = rows[1]!.hash;
      for (const original of rows.slice(2)) {
        const row = rechain({ ...original, username: original.id === 3 ? 'eve' : original.username, prev_hash: prev });
        await temp.db.updateTable('audit_log').set({ username: row.username, prev_hash: row.prev_hash, hash: row.hash, key_id: row.key_id }).where('id', '=', row.id).execute();
        prev = row.hash;
      }
      const verification = await verifyAuditLog(temp.db, { keys });
      expect(verification).toMatchObject({ ok: false, rows: 2, problem: { rowId: 3 } });
      if (!verification.ok) expect(verification.message).toMatch(/^row 3 /);
    }
  });

  it.skipIf(skip)('rows from before the chain was keyed still verify, and a rotated key verifies while listed', async () => {
    temp = await create();
    await new AuditLog(temp.db).append(access(1));
    await new AuditLog(temp.db, { keys: auditKeysFromText(KEY_A) }).append(access(2));
    // Rotation: the new key first, the retired one kept below it.
    const rotated = auditKeysFromText(`${KEY_B}\n${KEY_A}\n`);
    await new AuditLog(temp.db, { keys: rotated }).append(access(3));
    expect(await verifyAuditLog(temp.db, { keys: rotated })).toMatchObject({ ok: true, rows: 3 });
    const withoutRetired = await verifyAuditLog(temp.db, { keys: auditKeysFromText(KEY_B) });
    expect(withoutRetired).toMatchObject({ ok: false, rows: 1, problem: { kind: 'unknown-key', rowId: 2 } });
    // A legacy (unkeyed) row after a keyed one is a re-chain without the key.
    await new AuditLog(temp.db).append(access(4));
    expect(await verifyAuditLog(temp.db, { keys: rotated })).toMatchObject({ ok: false, problem: { kind: 'unkeyed', rowId: 4 } });
  });

  it.skipIf(skip)('the anchor file reveals rows deleted from the end, and a rewritten head', async () => {
    temp = await create();
    const db = temp.db;
    const dir = mkdtempSync(path.join(tmpdir(), 'rs-anchor-'));
    try {
      const file = path.join(dir, 'audit-anchor.log');
      const keys = auditKeysFromText(KEY_A);
      const log = new AuditLog(db, { keys });
      const anchor = new AuditAnchor(file, () => db.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst());
      for (let n = 0; n < 3; n++) await log.append(access(n));
      await anchor.record();
      await anchor.record();
      for (let n = 3; n < 6; n++) await log.append(access(n));
      await anchor.close();
      const anchors = readAuditAnchors(file);
      expect(anchors.map((entry) => entry.id)).toEqual([3, 6]);
      expect(await verifyAuditLog(db, { keys, anchors })).toMatchObject({ ok: true, rows: 6, anchors: 2 });
      await db.deleteFrom('audit_log').where('id', '>', 4).execute();
      const truncated = await verifyAuditLog(db, { keys, anchors });
      expect(truncated).toMatchObject({ ok: false, rows: 4, problem: { kind: 'truncated', lastId: 4, anchoredId: 6 } });
      if (!truncated.ok) expect(truncated.message).toContain("the anchor file knows 2 rows past the database's end");
      // Re-chained with the key (an insider who has it) but not matching what was anchored.
      const row3 = await db.selectFrom('audit_log').selectAll().where('id', '=', 3).executeTakeFirstOrThrow();
      await db.updateTable('audit_log').set({ hash: auditRowHash({ ...row3, username: 'eve' }, KEY_A), username: 'eve' }).where('id', '=', 3).execute();
      expect(await verifyAuditLog(db, { keys, anchors })).toMatchObject({ ok: false, problem: { rowId: 4 } });
      await db.deleteFrom('audit_log').where('id', '>', 3).execute();
      expect(await verifyAuditLog(db, { keys, anchors })).toMatchObject({ ok: false, problem: { kind: 'anchor-mismatch', rowId: 3 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
