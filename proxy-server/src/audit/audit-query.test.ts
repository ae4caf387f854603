import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { AuditLog } from './audit-log.ts';
import { auditLogPages, auditLogRows } from './audit-query.ts';

let temp: TempDatabase;

beforeEach(async () => {
  temp = await createTempDatabase();
  const times = ['2026-11-01T09:00:00.000Z', '2026-11-01T10:00:00.000Z', '2026-11-02T08:00:00.000Z', '2026-11-03T08:00:00.000Z', '2026-11-04T08:00:00.000Z'];
  let next = 0;
  const log = new AuditLog(temp.db, { now: () => new Date(times[next++]!) });
  for (const username of ['a', 'b', 'c', 'd', 'e']) await log.append({ action: 'LOGIN', result: 'success', username });
});

afterEach(async () => {
  await temp.dispose();
});

describe('audit log queries', () => {
  it('reads the whole log in id order, a page at a time', async () => {
    const pages = [];
    for await (const page of auditLogPages(temp.db, { pageSize: 2 })) pages.push(page.map((row) => row.username));
    expect(pages).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('starts at a time when asked', async () => {
    const rows = [];
    for await (const row of auditLogRows(temp.db, { since: '2026-11-02T00:00:00.000Z', pageSize: 2 })) rows.push([row.id, row.username]);
    expect(rows).toEqual([
      [3, 'c'],
      [4, 'd'],
      [5, 'e'],
    ]);
  });

  it('yields nothing from an empty log', async () => {
    await temp.db.deleteFrom('audit_log').execute();
    const rows = [];
    for await (const row of auditLogRows(temp.db)) rows.push(row);
    expect(rows).toEqual([]);
  });
});
