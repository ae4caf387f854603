import type { AuditConfig, DatabaseConfig } from '../config-schema.ts';
import type { RsDatabase } from '../db/database.ts';
import type { GateMetrics } from '../metrics/gate-metrics.ts';
import { AuditAnchor } from './audit-anchor.ts';
import type { AuditAppender } from './audit-events.ts';
import { loadAuditKeys } from './audit-keys.ts';
import { AuditLog } from './audit-log.ts';
import { SqliteAuditWriter } from './sqlite-audit-writer.ts';

export interface AuditAppenderOptions {
  /** Which store the registry is: a SQLite file gets its own writer thread. */
  database: DatabaseConfig;
  /** The registry's connection, used by the in-process writer. */
  db: RsDatabase;
  /** Times every append and counts the ones that failed. */
  metrics?: GateMetrics | undefined;
  /** The chain's HMAC key file and anchor file; without it, an unkeyed chain and no anchor. */
  audit?: AuditConfig | undefined;
  /** Told when the periodic anchor write fails (the next one retries). */
  onAnchorError?: ((error: Error) => void) | undefined;
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
export function createAuditAppender({ database, db, metrics, audit, onAnchorError }: AuditAppenderOptions): AuditBackend {
  const keys = loadAuditKeys(audit?.keyFile);
  const store = database.client === 'sqlite' && database.filename !== ':memory:' ? new SqliteAuditWriter(database.filename, { keys }) : new AuditLog(db, { keys });
  const anchor =
    audit?.anchorFile === undefined
      ? undefined
      : new AuditAnchor(audit.anchorFile, () => db.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst(), {
          intervalMs: audit.anchorIntervalSeconds * 1000,
          onError: onAnchorError,
        });
  const close = async () => {
    if (store instanceof SqliteAuditWriter) await store.close();
    // After the last rows are committed: the head recorded at shutdown is the final one.
    await anchor?.close();
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
