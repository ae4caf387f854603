import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase } from '../db/database.ts';
import type { RsDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrations.ts';

/** The test cluster `npm test` starts (scripts/test-postgres.sh); PostgreSQL tests skip without it. */
export const testPgAdminUrl = process.env.RS_TEST_PG_ADMIN_URL;
export const PG_SKIP_REASON = 'skipped: no RS_TEST_PG_ADMIN_URL (npm test starts a throwaway PostgreSQL cluster and sets it)';

export interface TempPostgres {
  db: RsDatabase;
  connectionString: string;
  dispose(): Promise<void>;
}

/** A fresh, uniquely named database in the test cluster, migrated unless `migrate: false`. */
export async function createTempPostgres({ migrate = true }: { migrate?: boolean } = {}): Promise<TempPostgres> {
  if (!testPgAdminUrl) throw new Error(PG_SKIP_REASON);
  const name = `rs_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testPgAdminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(testPgAdminUrl);
  url.pathname = `/${name}`;
  const db = createDatabase({ client: 'postgres', connectionString: url.toString() });
  if (migrate) await migrateToLatest(db);
  return {
    db,
    connectionString: url.toString(),
    async dispose() {
      await db.destroy();
      const cleanup = new pg.Client({ connectionString: testPgAdminUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}
