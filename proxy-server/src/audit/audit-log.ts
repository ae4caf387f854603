import { sql } from 'kysely';
import type { RsDatabase } from '../db/database.ts';
import { dialectOf } from '../db/database.ts';
import type { AuditLogRow } from '../db/schema.ts';
import { chainRows, checkChainSegment, type ChainProblem } from './audit-chain.ts';
import { AuditUnavailableError, type AuditAppender, type AuditEvent, type TimedAuditEvent } from './audit-events.ts';
import { auditLogPages } from './audit-query.ts';

export { AUDIT_ACTIONS, AuditUnavailableError, type AuditAction, type AuditAppender, type AuditEvent, type TimedAuditEvent } from './audit-events.ts';
export { chainRows } from './audit-chain.ts';

/** The advisory lock that serialises audit writers on PostgreSQL ("RSAU" in ASCII). */
const AUDIT_CHAIN_LOCK = 0x52534155;

interface Pending extends TimedAuditEvent {
  resolve: (id: number) => void;
  reject: (error: Error) => void;
}

/**
 * The durable, hash-chained audit log. `append` resolves only after the row is committed.
 * Appends that arrive while a commit is in flight are written together in the next transaction
 * (group commit): every caller still waits for its own row to be durable, but many decisions share
 * one fsync.
 */
export class AuditLog implements AuditAppender {
  readonly #db: RsDatabase;
  readonly #now: () => Date;
  #queue: Pending[] = [];
  #flushing = false;

  constructor(db: RsDatabase, options: { now?: () => Date } = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
  }

  append(event: AuditEvent): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ event, at: this.#now().toISOString(), resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        void this.#flushLoop();
      }
    });
  }

  async #flushLoop(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        try {
          const ids = await this.#write(batch);
          batch.forEach((pending, index) => pending.resolve(ids[index] as number));
        } catch (error) {
          const failure = new AuditUnavailableError(`audit store unavailable: ${(error as Error).message}`);
          for (const pending of batch) pending.reject(failure);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #write(batch: readonly Pending[]): Promise<number[]> {
    return this.#db.transaction().execute(async (trx) => {
      if (dialectOf(this.#db) === 'postgres') {
        // One writer at a time across gate processes: the chain has a single head.
        await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(trx);
      }
      const head = await trx
        .selectFrom('audit_log')
        .select(['id', 'hash'])
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const rows = chainRows(batch, head);
      // Chunked to stay under SQLite's bound-parameter limit.
      for (let i = 0; i < rows.length; i += 50) {
        await trx.insertInto('audit_log').values(rows.slice(i, i + 50)).execute();
      }
      return rows.map((row) => row.id);
    });
  }
}

export type AuditVerification =
  | { ok: true; rows: number; head: string | null }
  | { ok: false; rows: number; problem: ChainProblem; message: string };

function describeProblem(problem: ChainProblem): string {
  switch (problem.kind) {
    case 'edited':
      return `row ${problem.rowId} was edited: its hash does not match its content`;
    case 'deleted':
      return `row ${problem.expectedId} is missing (next row present is ${problem.rowId}): rows were deleted`;
    case 'relinked':
      return `row ${problem.rowId} does not link to the row before it: rows were deleted, inserted or reordered`;
  }
}

/** Walks the whole log in id order and reports the first row where the chain breaks. */
export async function verifyAuditLog(db: RsDatabase, batchSize = 5000): Promise<AuditVerification> {
  let previous: AuditLogRow | undefined;
  let rows = 0;
  for await (const batch of auditLogPages(db, { pageSize: batchSize })) {
    const problem = checkChainSegment(batch, previous);
    if (problem) {
      const intact = rows + batch.findIndex((row) => row.id === problem.rowId);
      return { ok: false, rows: intact, problem, message: describeProblem(problem) };
    }
    rows += batch.length;
    previous = batch[batch.length - 1];
  }
  return { ok: true, rows, head: previous?.hash ?? null };
}
