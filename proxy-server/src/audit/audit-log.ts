import { sql } from 'kysely';
import type { RsDatabase } from '../db/database.ts';
import { dialectOf } from '../db/database.ts';
import type { AuditLogRow } from '../db/schema.ts';
import { auditRowHash, checkChainSegment, type ChainProblem } from './audit-chain.ts';

export const AUDIT_ACTIONS = [
  'DICOM_ACCESS',
  'DICOM_ACCESS_DENIED',
  'DICOM_QUERY',
  'DICOM_BAD_REQUEST',
  'LOGIN',
  'LOGIN_FAILED',
  'LOGIN_LOCKED_OUT',
  'TOKEN_REFRESH',
  'TOKEN_REFRESH_FAILED',
  'TOKEN_REUSE_DETECTED',
  'TOKEN_REJECTED',
  'LOGOUT',
  'WORKLIST_QUERY',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEvent {
  action: AuditAction;
  result: 'success' | 'failure' | 'denied' | 'error';
  requestId?: string | undefined;
  userId?: number | undefined;
  username?: string | undefined;
  role?: string | undefined;
  studyUid?: string | undefined;
  seriesUid?: string | undefined;
  instanceUid?: string | undefined;
  routeKind?: string | undefined;
  clientIp?: string | undefined;
  userAgent?: string | undefined;
  reason?: string | undefined;
}

/** Anything that durably appends audit events: the gate depends on this, not on a store. */
export interface AuditAppender {
  /** Resolves with the row id once the row is committed; rejects with AuditUnavailableError. */
  append(event: AuditEvent): Promise<number>;
}

export interface TimedAuditEvent {
  event: AuditEvent;
  /** ISO 8601, taken when the event was handed in. */
  at: string;
}

/** Turns a batch of events into rows chained onto `head` (the newest row so far, if any). */
export function chainRows(batch: readonly TimedAuditEvent[], head: { id: number; hash: string } | undefined): AuditLogRow[] {
  let prevId = head?.id ?? 0;
  let prevHash: string | null = head?.hash ?? null;
  return batch.map(({ event, at }) => {
    const fields = {
      id: prevId + 1,
      at,
      request_id: clip(event.requestId, 128),
      user_id: event.userId ?? null,
      username: clip(event.username, 128),
      role: clip(event.role, 32),
      action: event.action,
      study_uid: clip(event.studyUid, 64),
      series_uid: clip(event.seriesUid, 64),
      instance_uid: clip(event.instanceUid, 64),
      route_kind: clip(event.routeKind, 64),
      client_ip: clip(event.clientIp, 64),
      user_agent: clip(event.userAgent, 512),
      result: event.result,
      reason: clip(event.reason, 512),
      prev_hash: prevHash,
    };
    const row = { ...fields, hash: auditRowHash(fields) };
    prevId = row.id;
    prevHash = row.hash;
    return row;
  });
}

/** Raised when the audit store cannot take a row; the gate answers 503 and serves nothing. */
export class AuditUnavailableError extends Error {
  override readonly name = 'AuditUnavailableError';
}

/** The advisory lock that serialises audit writers on PostgreSQL ("RSAU" in ASCII). */
const AUDIT_CHAIN_LOCK = 0x52534155;

interface Pending extends TimedAuditEvent {
  resolve: (id: number) => void;
  reject: (error: Error) => void;
}

const clip = (value: string | undefined, max: number): string | null =>
  value === undefined ? null : value.length > max ? value.slice(0, max) : value;

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
  for (;;) {
    const batch = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', previous?.id ?? 0)
      .orderBy('id', 'asc')
      .limit(batchSize)
      .execute();
    if (batch.length === 0) break;
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
