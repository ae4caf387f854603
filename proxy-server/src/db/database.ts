import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.ts';
import type { Database } from './schema.ts';

export type RsDatabase = Kysely<Database>;
export type DialectName = 'sqlite' | 'postgres';

// How long a SQLite writer waits for another process's lock (the CLI and the server share the file).
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const PG_INT8_OID = 20;

export function createDatabase(config: DatabaseConfig): RsDatabase {
  return config.client === 'sqlite' ? createSqlite(config.filename) : createPostgres(config.connectionString);
}

function createSqlite(filename: string): RsDatabase {
  if (filename !== ':memory:') mkdirSync(path.dirname(filename), { recursive: true });
  const database = new BetterSqlite3(filename);
  database.pragma('journal_mode = WAL');
  // FULL makes each commit durable, not merely consistent: an audit row must survive power loss
  // before the bytes it records are served.
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

function createPostgres(connectionString: string): RsDatabase {
  const pool = new pg.Pool({
    connectionString,
    // bigint columns (audit ids, count(*)) come back as numbers, as they do from SQLite. Ids stay
    // far below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

export function dialectOf<DB>(db: Kysely<DB>): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Throws when the database does not answer a trivial query. */
export async function pingDatabase<DB>(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
