import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';

/** A chain head recorded outside the database: row id and hash. */
export interface AuditAnchorEntry {
  id: number;
  hash: string;
}

/**
 * Appends the chain head to a file opened O_APPEND (one JSON line: time, row id, hash),
 * periodically and at shutdown. Whoever can write the database cannot rewrite what was recorded
 * here, so `audit verify` notices rows cut from the end, or a re-chained log whose hashes differ.
 */
export class AuditAnchor {
  readonly #fd: number;
  readonly #readHead: () => Promise<AuditAnchorEntry | undefined>;
  readonly #timer: NodeJS.Timeout | undefined;
  #last: string | undefined;
  #closed = false;

  constructor(file: string, readHead: () => Promise<AuditAnchorEntry | undefined>, options: { intervalMs?: number; onError?: (error: Error) => void } = {}) {
    // 'a': O_WRONLY | O_CREAT | O_APPEND.
    this.#fd = openSync(file, 'a', 0o600);
    this.#readHead = readHead;
    if (options.intervalMs !== undefined) {
      const onError = options.onError ?? (() => undefined);
      this.#timer = setInterval(() => void this.record().catch(onError), options.intervalMs);
      this.#timer.unref();
    }
  }

  /** Appends the current head, unless it is the one recorded last. */
  async record(): Promise<void> {
    if (this.#closed) return;
    const head = await this.#readHead();
    if (head === undefined || this.#closed) return;
    const key = `${head.id} ${head.hash}`;
    if (key === this.#last) return;
    writeSync(this.#fd, `${JSON.stringify({ at: new Date().toISOString(), id: head.id, hash: head.hash })}\n`);
    this.#last = key;
  }

  /** Records the head a last time and closes the file. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    try {
      await this.record();
    } finally {
      this.#closed = true;
      closeSync(this.#fd);
    }
  }
}

/** Every head recorded in an anchor file (a missing file records none; unreadable lines are skipped). */
export function readAuditAnchors(file: string): AuditAnchorEntry[] {
  if (!existsSync(file)) return [];
  const entries: AuditAnchorEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = JSON.parse(line) as { id?: unknown; hash?: unknown };
      if (typeof parsed.id === 'number' && typeof parsed.hash === 'string') entries.push({ id: parsed.id, hash: parsed.hash });
    } catch {
      // A torn last line (a crash mid-write) records nothing.
    }
  }
  return entries;
}
