import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AuditKeys } from './audit-keys.ts';
import { AuditUnavailableError, type AuditAppender, type AuditEvent } from './audit-log.ts';

// The worker's module sits beside this one: .ts when Node runs the sources, .js when it runs dist/.
const workerModule = new URL(`./sqlite-audit-worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

type Reply = { ok: true; seqs: number[]; ids: number[] } | { ok: false; seqs: number[]; message: string };

/**
 * The audit log on SQLite, written from a worker thread (see sqlite-audit-worker.ts). Same chain,
 * same durability as `AuditLog`: `append` resolves only once the row is committed.
 */
export class SqliteAuditWriter implements AuditAppender {
  readonly #worker: Worker;
  readonly #now: () => Date;
  readonly #pending = new Map<number, { resolve: (id: number) => void; reject: (error: Error) => void }>();
  #seq = 0;
  #failure: Error | undefined;
  /** Rows appended in this turn of the event loop, posted to the thread together. */
  #outbox: Array<{ seq: number; event: AuditEvent; at: string }> = [];

  constructor(filename: string, options: { busyTimeoutMs?: number; now?: () => Date; keys?: AuditKeys } = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#worker = new Worker(workerModule, {
      workerData: { filename, busyTimeoutMs: options.busyTimeoutMs ?? 5000, keys: options.keys?.current ? [options.keys.current] : [] },
    });
    this.#worker.on('message', (reply: Reply) => this.#settle(reply));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`audit writer stopped (exit ${code})`)));
    // The worker must not keep a finished process alive; pending appends keep it referenced.
    this.#worker.unref();
  }

  append(event: AuditEvent): Promise<number> {
    if (this.#failure) return Promise.reject(new AuditUnavailableError(`audit store unavailable: ${this.#failure.message}`));
    const seq = ++this.#seq;
    return new Promise<number>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      // One message per turn of the event loop rather than one per row: the decisions that arrive
      // on the same turn share the message (and then the thread's transaction).
      if (this.#outbox.push({ seq, event, at: this.#now().toISOString() }) === 1) setImmediate(() => this.#post());
    });
  }

  #post(): void {
    const jobs = this.#outbox;
    this.#outbox = [];
    if (jobs.length > 0 && this.#failure === undefined) this.#worker.postMessage(jobs);
  }

  /** Writes what is queued and stops the thread. */
  async close(): Promise<void> {
    if (this.#failure) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.ref();
    this.#post();
    this.#worker.postMessage('close');
    await exited;
  }

  #settle(reply: Reply): void {
    reply.seqs.forEach((seq, index) => {
      const waiter = this.#pending.get(seq);
      if (!waiter) return;
      this.#pending.delete(seq);
      if (reply.ok) waiter.resolve(reply.ids[index] as number);
      else waiter.reject(new AuditUnavailableError(`audit store unavailable: ${reply.message}`));
    });
    if (this.#pending.size === 0) this.#worker.unref();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#pending.values()) waiter.reject(new AuditUnavailableError(`audit store unavailable: ${error.message}`));
    this.#pending.clear();
    this.#outbox = [];
  }
}
