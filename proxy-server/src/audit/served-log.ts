import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { z } from 'zod';
import type { RsDatabase } from '../db/database.ts';

/*
 * What nginx actually served for a request the gate let through. The audit row is committed
 * before any byte flows, so it records the decision; the outcome (Orthanc's status, nginx's own
 * 400 or 502, how many bytes, whether the client stayed to the end) is known only to nginx. The
 * gate sends the row's id as X-Audit-Id on its X-Accel answer; nginx writes one line per such
 * request to its served log (log_format rs_served in nginx/reading-station.conf.template):
 *
 *   served audit=<id> status=<status> bytes=<body bytes> complete=<OK or empty> rid=<request id>
 *
 * This follower reads the new lines of that file and records them in audit_served, linked to the
 * row by its id. Idempotent (the first line for an id wins), so it reads the file again from the
 * start after a restart or when the file was rotated (it shrank or was replaced).
 */

const LINE = /^served audit=(\d{1,15}) status=(\d{3}) bytes=(\d{1,15}) complete=(OK)? rid=([0-9a-f]{0,64})$/;

const ServedLineSchema = z.object({
  auditId: z.number().int().positive(),
  status: z.number().int().min(100).max(599),
  bytesSent: z.number().int().min(0),
  completed: z.boolean(),
  requestId: z.string().nullable(),
});
export type ServedLine = z.infer<typeof ServedLineSchema>;

/** One line of nginx's served log, or undefined for anything else (a torn or foreign line). */
export function parseServedLine(line: string): ServedLine | undefined {
  const match = LINE.exec(line.trim());
  if (!match) return undefined;
  const parsed = ServedLineSchema.safeParse({
    auditId: Number(match[1]),
    status: Number(match[2]),
    bytesSent: Number(match[3]),
    completed: match[4] === 'OK',
    requestId: match[5] === '' ? null : (match[5] ?? null),
  });
  return parsed.success ? parsed.data : undefined;
}

/** Records served outcomes; an id already recorded keeps its first outcome. */
export async function recordServed(db: RsDatabase, lines: readonly ServedLine[], now = new Date()): Promise<void> {
  if (lines.length === 0) return;
  const recordedAt = now.toISOString();
  await db
    .insertInto('audit_served')
    .values(lines.map((line) => ({ audit_id: line.auditId, status: line.status, bytes_sent: line.bytesSent, completed: line.completed ? 1 : 0, request_id: line.requestId, recorded_at: recordedAt })))
    .onConflict((conflict) => conflict.column('audit_id').doNothing())
    .execute();
}

const CHUNK = 256 * 1024;

export class ServedLogFollower {
  readonly #db: RsDatabase;
  readonly #file: string;
  readonly pollIntervalMs: number;
  #offset = 0;
  #inode: number | undefined;
  #partial = '';
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #onError: (error: unknown) => void = () => {};

  constructor(db: RsDatabase, file: string, options: { pollIntervalMs?: number } = {}) {
    this.#db = db;
    this.#file = file;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  setErrorHandler(handler: (error: unknown) => void): void {
    this.#onError = handler;
  }

  start(): void {
    const tick = () => {
      this.#running = this.readNew()
        .then(() => undefined, (error: unknown) => this.#onError(error))
        .finally(() => {
          this.#running = undefined;
          if (this.#timer !== undefined) this.#timer = setTimeout(tick, this.pollIntervalMs).unref();
        });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  /** Stops polling after reading what is there now (called before the database closes). */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.readNew().catch((error: unknown) => this.#onError(error));
  }

  /** Reads the lines added since the last call and records them; the number of outcomes read. */
  async readNew(): Promise<number> {
    let fd: number;
    try {
      fd = openSync(this.#file, 'r');
    } catch (error) {
      // nginx creates the file with its first served request.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    const lines: ServedLine[] = [];
    try {
      const stat = fstatSync(fd);
      if (stat.ino !== this.#inode || stat.size < this.#offset) {
        // A new or truncated file (rotation): from its start.
        this.#inode = stat.ino;
        this.#offset = 0;
        this.#partial = '';
      }
      const buffer = Buffer.alloc(CHUNK);
      while (this.#offset < stat.size) {
        const read = readSync(fd, buffer, 0, Math.min(CHUNK, stat.size - this.#offset), this.#offset);
        if (read === 0) break;
        this.#offset += read;
        const text = this.#partial + buffer.subarray(0, read).toString('latin1');
        const parts = text.split('\n');
        // The last part is a line nginx has not finished writing yet.
        this.#partial = parts.pop() ?? '';
        for (const part of parts) {
          const line = parseServedLine(part);
          if (line) lines.push(line);
        }
      }
    } finally {
      closeSync(fd);
    }
    for (let start = 0; start < lines.length; start += 500) await recordServed(this.#db, lines.slice(start, start + 500));
    return lines.length;
  }
}
