import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGateMetrics } from '../metrics/gate-metrics.ts';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { createAuditAppender } from './audit-appender.ts';
import { AuditLog } from './audit-log.ts';
import { SqliteAuditWriter } from './sqlite-audit-writer.ts';

let temp: TempDatabase;

beforeEach(async () => {
  temp = await createTempDatabase();
});

afterEach(async () => {
  await temp.dispose();
});

describe('createAuditAppender', () => {
  it('writes from its own thread on a SQLite file, and stops that thread on close', async () => {
    const backend = createAuditAppender({ database: { client: 'sqlite', filename: temp.filename }, db: temp.db });
    expect(backend.appender).toBeInstanceOf(SqliteAuditWriter);
    const id = await backend.appender.append({ action: 'LOGIN', result: 'success', username: 'ada' });
    await backend.close();
    expect(await temp.db.selectFrom('audit_log').select(['id', 'username']).execute()).toEqual([{ id, username: 'ada' }]);
  });

  it("uses the registry's connection for an in-memory database", async () => {
    const backend = createAuditAppender({ database: { client: 'sqlite', filename: ':memory:' }, db: temp.db });
    expect(backend.appender).toBeInstanceOf(AuditLog);
    await backend.appender.append({ action: 'LOGOUT', result: 'success' });
    await backend.close();
    expect(await temp.db.selectFrom('audit_log').select('action').execute()).toEqual([{ action: 'LOGOUT' }]);
  });

  it('times every append and counts the failed ones when given metrics', async () => {
    const metrics = createGateMetrics();
    const backend = createAuditAppender({ database: { client: 'sqlite', filename: ':memory:' }, db: temp.db, metrics });
    await backend.appender.append({ action: 'LOGIN', result: 'success' });
    await temp.db.schema.dropTable('audit_log').execute();
    await expect(backend.appender.append({ action: 'LOGIN', result: 'success' })).rejects.toThrow(/audit store unavailable/);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^reading_station_audit_write_seconds_count 2$/m);
    expect(text).toMatch(/^reading_station_audit_failures_total 1$/m);
  });
});
