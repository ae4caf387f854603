import type { AuditAppender, AuditEvent } from './audit-events.ts';

/**
 * Audit rows for rejected requests that name no user (no token, a forged or expired one),
 * aggregated: a flood of them must not cost one synchronously committed row each. The first
 * rejection of a kind from an address in an interval is appended at once (so a single probe is
 * recorded before its answer, and an unwritable store still answers 503); the rest of that interval
 * are only counted, and one row per kind and address carries their count when the interval ends
 * (or the gate stops). Rows that identify a user are never aggregated: they go to the appender.
 */
export interface RejectionRecorder {
  /** `kind` groups rejections (e.g. TOKEN_REJECTED:TOKEN_MISSING); rejects like the appender, but only for rows it writes now. */
  record(kind: string, event: AuditEvent): Promise<void>;
}

interface Pending {
  since: number;
  suppressed: number;
  first: AuditEvent;
  kind: string;
}

export interface RejectionAggregatorOptions {
  intervalMs?: number;
  /** Beyond this many distinct kind-and-address pairs in one interval, rows are appended one by one again. */
  maxKeys?: number;
  now?: () => number;
  onFlushError?: (error: unknown) => void;
}

export class RejectionAggregator implements RejectionRecorder {
  readonly #appender: AuditAppender;
  readonly #intervalMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #onFlushError: (error: unknown) => void;
  readonly #pending = new Map<string, Pending>();
  readonly #timer: NodeJS.Timeout;

  constructor(appender: AuditAppender, options: RejectionAggregatorOptions = {}) {
    this.#appender = appender;
    this.#intervalMs = options.intervalMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#onFlushError = options.onFlushError ?? (() => undefined);
    this.#timer = setInterval(() => {
      this.flush().catch(this.#onFlushError);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async record(kind: string, event: AuditEvent): Promise<void> {
    const key = `${kind}\n${event.clientIp ?? ''}`;
    const now = this.#now();
    const pending = this.#pending.get(key);
    if (pending !== undefined && now - pending.since < this.#intervalMs) {
      pending.suppressed += 1;
      return;
    }
    if (pending !== undefined) await this.#summarise(key, pending);
    if (this.#pending.size >= this.#maxKeys) {
      await this.#appender.append(event);
      return;
    }
    await this.#appender.append(event);
    this.#pending.set(key, { since: now, suppressed: 0, first: event, kind });
  }

  /** Writes the count row of every interval that has ended (all of them when `all`). */
  async flush(all = false): Promise<void> {
    const now = this.#now();
    for (const [key, pending] of [...this.#pending]) {
      if (all || now - pending.since >= this.#intervalMs) await this.#summarise(key, pending);
    }
  }

  /** Stops the timer and writes every count still held. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush(true);
  }

  async #summarise(key: string, pending: Pending): Promise<void> {
    this.#pending.delete(key);
    if (pending.suppressed === 0) return;
    const seconds = Math.max(1, Math.round((this.#now() - pending.since) / 1000));
    try {
      await this.#appender.append({
        action: pending.first.action,
        result: pending.first.result,
        clientIp: pending.first.clientIp,
        userAgent: pending.first.userAgent,
        reason: `${pending.kind}: ${pending.suppressed} more from this address in ${seconds} s (aggregated)`,
      });
    } catch (error) {
      // Kept for the next flush rather than lost.
      this.#pending.set(key, pending);
      throw error;
    }
  }
}
