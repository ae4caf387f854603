import type { DatabaseConfig } from '../config-schema.ts';
import type { RsDatabase } from '../db/database.ts';
import type { GateMetrics } from '../metrics/gate-metrics.ts';
import type { AuditAppender } from './audit-events.ts';
import { AuditLog } from './audit-log.ts';
import { SqliteAuditWriter } from './sqlite-audit-writer.ts';

export interface AuditAppenderOptions {
  /** Which store the registry is: a SQLite file gets its own writer thread. */
  database: DatabaseConfig;
  /** The registry's connection, used by the in-process writer. */
  db: RsDatabase;
  /** Times every append and counts the ones that failed. */
  metrics?: GateMetrics | undefined;
}

export interface AuditBackend {
  appender: AuditAppender;
  /** Stops what the backend started (the SQLite writer thread); the database itself is left open. */
  close(): Promise<void>;
}

/**
 * The audit store the gate writes to. On a SQLite file rows are committed from a writer thread of
 * their own (sqlite-audit-worker.ts); otherwise (PostgreSQL, `:memory:`) by AuditLog on the
 * registry's connection. Both group-commit and chain the same way.
 */
export function createAuditAppender({ database, db, metrics }: AuditAppenderOptions): AuditBackend {
  const store = database.client === 'sqlite' && database.filename !== ':memory:' ? new SqliteAuditWriter(database.filename) : new AuditLog(db);
  const close = async () => {
    if (store instanceof SqliteAuditWriter) await store.close();
  };
  if (metrics === undefined) return { appender: store, close };
  const appender: AuditAppender = {
    async append(event) {
      const done = metrics.auditWriteSeconds.startTimer();
      try {
        return await store.append(event);
      } catch (error) {
        metrics.auditFailures.inc();
        throw error;
      } finally {
        done();
      }
    },
  };
  return { appender, close };
}
