import { sql } from 'kysely';
import type { RsDatabase } from '../db/database.ts';
import { dialectOf } from '../db/database.ts';
import type { AuditLogRow } from '../db/schema.ts';
import { chainRows, checkChainSegment, type ChainProblem } from './audit-chain.ts';
import { AuditUnavailableError, type AuditAppender, type AuditEvent, type TimedAuditEvent } from './audit-events.ts';
import type { AuditAnchorEntry } from './audit-anchor.ts';
import { NO_AUDIT_KEYS, type AuditKeys } from './audit-keys.ts';
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
  readonly #keys: AuditKeys;
  #queue: Pending[] = [];
  #flushing = false;

  constructor(db: RsDatabase, options: { now?: () => Date; keys?: AuditKeys } = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.#keys = options.keys ?? NO_AUDIT_KEYS;
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
    return this.#db.transaction().execute((trx) => chainIntoTransaction(trx, batch, this.#keys));
  }
}

async function chainIntoTransaction(trx: RsDatabase, batch: readonly TimedAuditEvent[], keys: AuditKeys): Promise<number[]> {
  if (dialectOf(trx) === 'postgres') {
    // One writer at a time across gate processes: the chain has a single head.
    await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(trx);
  }
  const head = await trx
    .selectFrom('audit_log')
    .select(['id', 'hash'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const rows = chainRows(batch, head, keys);
  // Chunked to stay under SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 50) {
    await trx.insertInto('audit_log').values(rows.slice(i, i + 50)).execute();
  }
  return rows.map((row) => row.id);
}

/**
 * Chains one audit row inside the caller's transaction, so a change and its audit row commit
 * together or not at all (registry changes made by an administrator). The transaction holds the
 * writer's lock (SQLite: begin immediate; PostgreSQL: the chain's advisory lock) while it reads the
 * head, as the gate's own writers do, so the chain stays one.
 */
export async function appendAuditInTransaction(trx: RsDatabase, event: AuditEvent, { keys = NO_AUDIT_KEYS, now = new Date() }: { keys?: AuditKeys; now?: Date } = {}): Promise<number> {
  if (!trx.isTransaction) throw new Error('appendAuditInTransaction needs a transaction');
  if (keys.current === undefined) {
    // An unkeyed row after keyed ones reads as a forgery to `audit verify`.
    const head = await trx.selectFrom('audit_log').select('key_id').orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (head?.key_id !== null && head?.key_id !== undefined) throw new AuditUnavailableError("the audit log is keyed and this process has no audit key: give it the gate's configuration (audit.keyFile)");
  }
  const [id] = await chainIntoTransaction(trx, [{ event, at: now.toISOString() }], keys);
  return id as number;
}

export type AuditVerification =
  | { ok: true; rows: number; head: string | null; anchors: number }
  | { ok: false; rows: number; problem: ChainProblem | AnchorProblem; message: string };

function describeProblem(problem: ChainProblem): string {
  switch (problem.kind) {
    case 'edited':
      return `row ${problem.rowId} was edited: its hash does not match its content`;
    case 'deleted':
      return `row ${problem.expectedId} is missing (next row present is ${problem.rowId}): rows were deleted`;
    case 'relinked':
      return `row ${problem.rowId} does not link to the row before it: rows were deleted, inserted or reordered`;
    case 'unknown-key':
      return `row ${problem.rowId} names audit key ${problem.keyId}, which is not in the key file: the row was forged, or a retired key is missing`;
    case 'unkeyed':
      return `row ${problem.rowId} is not keyed although the row before it is: the row was re-chained without the key`;
  }
}

export type AnchorProblem =
  | { kind: 'anchor-mismatch'; rowId: number }
  | { kind: 'truncated'; lastId: number; anchoredId: number };

function describeAnchorProblem(problem: AnchorProblem): string {
  switch (problem.kind) {
    case 'anchor-mismatch':
      return `row ${problem.rowId} differs from the head recorded in the anchor file: the log was rewritten from there`;
    case 'truncated':
      return `the anchor file knows ${problem.anchoredId - problem.lastId} rows past the database's end (row ${problem.anchoredId} was recorded; the log ends at ${problem.lastId === 0 ? 'no row' : `row ${problem.lastId}`}): rows were deleted from the end`;
  }
}

/**
 * Walks the whole log in id order and reports the first row where the chain breaks: hashes (HMACs
 * under `keys` for keyed rows), links, and the heads recorded in the anchor file (`anchors`).
 */
export async function verifyAuditLog(
  db: RsDatabase,
  options: { keys?: AuditKeys; anchors?: readonly AuditAnchorEntry[]; batchSize?: number } = {},
): Promise<AuditVerification> {
  const keys = options.keys ?? NO_AUDIT_KEYS;
  const anchors = new Map((options.anchors ?? []).map((anchor) => [anchor.id, anchor.hash]));
  let previous: AuditLogRow | undefined;
  let rows = 0;
  for await (const batch of auditLogPages(db, { pageSize: options.batchSize ?? 5000 })) {
    const problem = checkChainSegment(batch, previous, keys);
    if (problem) {
      const intact = rows + batch.findIndex((row) => row.id === problem.rowId);
      return { ok: false, rows: intact, problem, message: describeProblem(problem) };
    }
    for (const [index, row] of batch.entries()) {
      const anchored = anchors.get(row.id);
      if (anchored !== undefined && anchored !== row.hash) {
        const mismatch: AnchorProblem = { kind: 'anchor-mismatch', rowId: row.id };
        return { ok: false, rows: rows + index, problem: mismatch, message: describeAnchorProblem(mismatch) };
      }
    }
    rows += batch.length;
    previous = batch[batch.length - 1];
  }
  const lastId = previous?.id ?? 0;
  const anchoredId = Math.max(0, ...anchors.keys());
  if (anchoredId > lastId) {
    const truncated: AnchorProblem = { kind: 'truncated', lastId, anchoredId };
    return { ok: false, rows, problem: truncated, message: describeAnchorProblem(truncated) };
  }
  return { ok: true, rows, head: previous?.hash ?? null, anchors: anchors.size };
}
