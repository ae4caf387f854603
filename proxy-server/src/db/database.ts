import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, type Driver, type SqliteDatabase, sql } from 'kysely';
import { createRequire } from 'node:module';
import type PgModule from 'pg';
import type { DatabaseConfig } from '../config-schema.ts';
import type { Database } from './schema.ts';

export type RsDatabase = Kysely<Database>;
export type DialectName = 'sqlite' | 'postgres';

// How long a SQLite writer waits for another process's lock (the CLI and the server share the file).
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const PG_INT8_OID = 20;
// Distinct SQL texts the gate runs are a few dozen; `in (?, ?, …)` lists add one text per length.
const SQLITE_STATEMENT_CACHE_SIZE = 256;

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
  // SQLite's own lower() folds ASCII letters only; PostgreSQL's folds every script with case
  // (ÉLISE, ΔΙΟΝΥΣΙΟΣ, ЛЮК). The worklist's case-insensitive search needs the same rule in both.
  database.function('lower', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value));
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cachingStatements(database) }) });
}

/**
 * Transactions that take SQLite's write lock when they begin (`begin immediate`). With a plain
 * (deferred) `begin`, a transaction that reads and then writes fails at once with "database is
 * locked" when another process (the admin CLI, the stack's seeding, the registry sync of another
 * gate) committed in between: SQLite cannot upgrade a stale snapshot, and busy_timeout does not
 * apply. Taking the lock first makes it wait its turn instead.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/**
 * Kysely's SQLite driver prepares every query it runs. Preparing costs several times what running a
 * short query does, so the same SQL text gets the same prepared statement back, least recently used
 * out first. A statement still being iterated is busy and cannot run twice at once: that call gets
 * a fresh one.
 */
export function cachingStatements(database: BetterSqlite3.Database, capacity = SQLITE_STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(text: string) {
      const cached = statements.get(text);
      if (cached !== undefined && !cached.busy) {
        statements.delete(text);
        statements.set(text, cached);
        return cached;
      }
      const statement = database.prepare(text);
      if (cached === undefined) {
        statements.set(text, statement);
        if (statements.size > capacity) statements.delete(statements.keys().next().value as string);
      }
      return statement;
    },
    close() {
      statements.clear();
      database.close();
    },
  };
}

// pg is loaded only for a PostgreSQL database: a gate on SQLite does not carry it in memory.
const requirePg = (): typeof PgModule => createRequire(import.meta.url)('pg') as typeof PgModule;

function createPostgres(connectionString: string): RsDatabase {
  const pg = requirePg();
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
