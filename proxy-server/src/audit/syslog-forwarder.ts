import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import tls from 'node:tls';
import { Counter, Gauge, type Registry } from 'prom-client';
import { BackgroundLoop } from '../background-loop.ts';
import type { AuditSyslogConfig } from '../config-schema.ts';
import type { RsDatabase } from '../db/database.ts';
import { RowLease } from '../db/lease.ts';
import type { AuditLogRow } from '../db/schema.ts';
import type { AuditAnchorEntry } from './audit-anchor.ts';
import { anchorSyslogMessage, auditRowSyslogMessage, octetCountedFrame, type SyslogOrigin } from './syslog-message.ts';

// ATNA forwarding of the audit log (docs/operations.md, "Forwarding the audit log to the
// hospital's audit repository"). The audit table is the spool: the forwarder keeps the id of the
// last row the collector confirmed (audit_forwarding.last_id), reads the rows after it in id order,
// sends them, and only then moves the cursor. Rows become visible in id order (one writer holds the
// chain's lock until it commits), so the rows after the cursor are exactly what is not yet
// delivered. Nothing here is on the request path: a gate answers as soon as its row is committed,
// whatever the collector does; a collector that is down or slow only lets the spool grow.
//
// Delivered means: the batch was written to a TLS connection, the gate sent close_notify, and the
// collector answered with its own close (RFC 5425 §4.4: a receiver that gets close_notify replies
// with one), which it does only after reading everything before it. Syslog has no other
// acknowledgement. A batch whose connection fails, is reset or times out before that is sent again
// from the cursor: delivery is at least once, and a collector may see a row twice after a failure;
// each message carries the row id (structured data `rsAudit@<PEN> id=…`) to drop the copy by.

export const SYSLOG_SINK = 'syslog';

export interface SyslogTransport {
  /** Resolves once the collector confirmed every frame; rejects otherwise, or when `signal` aborts (nothing counts as delivered). */
  deliver(frames: readonly Buffer[], signal?: AbortSignal): Promise<void>;
}

export interface TlsSyslogTransportOptions {
  host: string;
  port: number;
  /** PEM CA certificates the collector's certificate must chain to; unset: Node's built-in list. */
  ca?: string | Buffer | undefined;
  /** The gate's client certificate and key (PEM), for collectors that authenticate senders (mutual TLS). */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /** The name the collector's certificate must carry (default: host). */
  serverName?: string | undefined;
  /** For connecting, writing and the collector's close together. */
  timeoutMs: number;
}

/** RFC 5425 over Node's TLS: one connection per batch, closed with close_notify, confirmed by the collector's close. */
export class TlsSyslogTransport implements SyslogTransport {
  readonly #options: TlsSyslogTransportOptions;

  constructor(options: TlsSyslogTransportOptions) {
    this.#options = options;
  }

  deliver(frames: readonly Buffer[], signal?: AbortSignal): Promise<void> {
    const { host, port, ca, cert, key, serverName, timeoutMs } = this.#options;
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error('forwarding stopped'));
        return;
      }
      let closing = false;
      let confirmed = false;
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) {
          socket.destroy();
          reject(error);
        } else resolve();
      };
      const socket = tls.connect({
        host,
        port,
        ...(ca !== undefined && { ca }),
        ...(cert !== undefined && { cert }),
        ...(key !== undefined && { key }),
        // SNI, and the name checkServerIdentity holds the certificate to.
        servername: serverName ?? host,
        minVersion: 'TLSv1.2',
      });
      const timer = setTimeout(() => settle(new Error(`the collector did not confirm within ${timeoutMs} ms`)), timeoutMs);
      // A gate shutting down does not wait for a slow collector: the batch stays in the spool.
      const onAbort = () => settle(new Error('forwarding stopped'));
      signal?.addEventListener('abort', onAbort);
      socket.on('secureConnect', () => {
        for (const frame of frames) socket.write(frame);
        closing = true;
        // close_notify, then FIN: the collector closes in reply once it has read everything.
        socket.end();
      });
      socket.on('end', () => {
        // A close before ours is the collector going away, not a confirmation.
        if (!closing) settle(new Error('the collector closed the connection before the batch was written'));
        else confirmed = true;
      });
      socket.on('error', (error) => settle(error));
      socket.on('close', () => (confirmed ? settle() : settle(new Error('the connection closed without the collector confirming'))));
    });
  }
}

export function createSyslogMetrics(registry: Registry) {
  return {
    spoolRows: new Gauge({
      name: 'reading_station_audit_syslog_spool_rows',
      help: 'Audit rows not yet delivered to the syslog collector (the rows after the forwarding cursor)',
      registers: [registry],
    }),
    spoolOldestSeconds: new Gauge({
      name: 'reading_station_audit_syslog_spool_oldest_seconds',
      help: 'Age of the oldest audit row not yet delivered to the syslog collector (0 when none)',
      registers: [registry],
    }),
    sent: new Counter({
      name: 'reading_station_audit_syslog_sent_total',
      help: 'Syslog messages the collector confirmed, by kind (event: an audit row; anchor: the chain head)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    failures: new Counter({
      name: 'reading_station_audit_syslog_failures_total',
      help: 'Batches the collector did not confirm (connection refused, reset, TLS failure, timeout); each is sent again',
      registers: [registry],
    }),
    up: new Gauge({
      name: 'reading_station_audit_syslog_up',
      help: '1 when the last delivery to the syslog collector was confirmed, 0 when it failed',
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'reading_station_audit_syslog_leader',
      help: '1 when this gate holds the forwarding lease (one gate forwards when several share the database)',
      registers: [registry],
    }),
  };
}

export type SyslogMetrics = ReturnType<typeof createSyslogMetrics>;

export interface ForwarderLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface AuditSyslogForwarderOptions {
  db: RsDatabase;
  transport: SyslogTransport;
  origin: SyslogOrigin;
  /** Rows per batch (and per connection). */
  batchSize?: number;
  /** Pause between looks at the table once the spool is empty. */
  pollIntervalMs?: number;
  /** First pause after a failure; it doubles up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the chain head is sent too (when it changed). */
  anchorIntervalMs?: number;
  leaseMs?: number;
  owner?: string;
  metrics?: SyslogMetrics | undefined;
  log?: ForwarderLogger;
  now?: () => Date;
}

export type ForwardStep = 'more' | 'idle' | 'standby';

const silent: ForwarderLogger = { info: () => undefined, warn: () => undefined };

export class AuditSyslogForwarder {
  readonly #db: RsDatabase;
  readonly #transport: SyslogTransport;
  readonly #origin: SyslogOrigin;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #anchorIntervalMs: number;
  readonly #lease: RowLease<'audit_forwarding'>;
  readonly #metrics: SyslogMetrics | undefined;
  #log: ForwarderLogger;
  readonly #now: () => Date;
  #failures = 0;
  #lastError: string | null = null;
  #anchorSentAt = 0;
  #anchorSent: string | undefined;
  readonly #loop = new BackgroundLoop(() => this.#round());
  readonly #stopping = new AbortController();

  constructor(options: AuditSyslogForwarderOptions) {
    this.#db = options.db;
    this.#transport = options.transport;
    this.#origin = options.origin;
    this.#batchSize = options.batchSize ?? 500;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#minBackoffMs = options.minBackoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.#anchorIntervalMs = options.anchorIntervalMs ?? 60_000;
    this.#metrics = options.metrics;
    this.#log = options.log ?? silent;
    this.#now = options.now ?? (() => new Date());
    this.#lease = new RowLease({
      table: 'audit_forwarding',
      key: SYSLOG_SINK,
      owner: options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
      leaseMs: options.leaseMs ?? 30_000,
      initial: { last_id: 0, updated_at: this.#now().toISOString() },
      lostMessage: 'another gate took over the audit forwarding',
      now: this.#now,
    });
  }

  setLogger(log: ForwarderLogger): void {
    this.#log = log;
  }

  /** Forwards in the background until stop(). */
  start(): void {
    this.#loop.start();
  }

  /** Stops forwarding and gives the lease back; undelivered rows stay in the spool for the next forwarder. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop.stop();
    await this.#lease.release(this.#db).catch(() => undefined);
    this.#metrics?.leader.set(0);
  }

  /** One round of the loop; returns the pause before the next. */
  async #round(): Promise<number> {
    let pause: number;
    try {
      const step = await this.step();
      if (this.#failures > 0) this.#log.info({ after: this.#failures }, 'the syslog collector confirms again: forwarding the audit spool');
      this.#failures = 0;
      this.#lastError = null;
      pause = step === 'more' ? 0 : step === 'standby' ? Math.max(this.#pollIntervalMs, Math.floor(this.#lease.leaseMs / 3)) : this.#pollIntervalMs;
    } catch (error) {
      this.#failures += 1;
      const message = error instanceof Error ? error.message : String(error);
      pause = Math.min(this.#maxBackoffMs, this.#minBackoffMs * 2 ** Math.min(this.#failures - 1, 16));
      // One line when forwarding starts failing or fails differently, not one per retry.
      if (message !== this.#lastError) this.#log.warn({ err: message, retryInMs: pause, failures: this.#failures }, 'cannot deliver audit rows to the syslog collector: they wait in the spool');
      this.#lastError = message;
    }
    await this.measureSpool().catch(() => undefined);
    return pause;
  }

  /**
   * One batch: take or renew the lease, read the rows after the cursor, deliver them (with the
   * chain head when it is due), then move the cursor past them. The cursor never moves for a
   * batch the transport did not confirm.
   */
  async step(): Promise<ForwardStep> {
    const leader = await this.#lease.acquire(this.#db);
    this.#metrics?.leader.set(leader ? 1 : 0);
    if (!leader) return 'standby';
    const cursor = await this.cursor();
    const rows = await this.#db.selectFrom('audit_log').selectAll().where('id', '>', cursor).orderBy('id', 'asc').limit(this.#batchSize).execute();
    const anchor = await this.#dueAnchor();
    if (rows.length === 0 && anchor === undefined) return 'idle';
    const frames = rows.map((row) => octetCountedFrame(auditRowSyslogMessage(row, this.#origin)));
    if (anchor !== undefined) frames.push(octetCountedFrame(anchorSyslogMessage(anchor, this.#now(), this.#origin)));
    try {
      await this.#transport.deliver(frames, this.#stopping.signal);
    } catch (error) {
      this.#metrics?.failures.inc();
      this.#metrics?.up.set(0);
      throw error;
    }
    this.#metrics?.up.set(1);
    if (anchor !== undefined) {
      this.#anchorSent = `${anchor.id} ${anchor.hash}`;
      this.#anchorSentAt = this.#now().getTime();
      this.#metrics?.sent.inc({ kind: 'anchor' });
    }
    const last = rows.at(-1);
    if (last === undefined) return 'idle';
    await this.#advance(last);
    this.#metrics?.sent.inc({ kind: 'event' }, rows.length);
    return rows.length === this.#batchSize ? 'more' : 'idle';
  }

  /** Id of the last row delivered (0 before the first). */
  async cursor(): Promise<number> {
    const row = await this.#db.selectFrom('audit_forwarding').select('last_id').where('sink', '=', SYSLOG_SINK).executeTakeFirst();
    return Number(row?.last_id ?? 0);
  }

  /** Sets the spool gauges: rows after the cursor, and the age of the first of them. */
  async measureSpool(): Promise<void> {
    if (this.#metrics === undefined) return;
    const cursor = await this.cursor();
    // Row ids are consecutive (each row is chained to the one before it), so the head's id tells how many follow the cursor.
    const head = await this.#db.selectFrom('audit_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const next = await this.#db.selectFrom('audit_log').select('at').where('id', '>', cursor).orderBy('id', 'asc').limit(1).executeTakeFirst();
    this.#metrics.spoolRows.set(Math.max(0, (head?.id ?? 0) - cursor));
    this.#metrics.spoolOldestSeconds.set(next === undefined ? 0 : Math.max(0, (this.#now().getTime() - Date.parse(next.at)) / 1000));
  }

  async #dueAnchor(): Promise<AuditAnchorEntry | undefined> {
    if (this.#now().getTime() - this.#anchorSentAt < this.#anchorIntervalMs) return undefined;
    const head = await this.#db.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (head === undefined || `${head.id} ${head.hash}` === this.#anchorSent) return undefined;
    return head;
  }

  async #advance(last: AuditLogRow): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#lease.assertHeld(trx);
      await trx
        .updateTable('audit_forwarding')
        .set({ last_id: last.id, updated_at: this.#now().toISOString() })
        .where('sink', '=', SYSLOG_SINK)
        .where('lease_owner', '=', this.#lease.owner)
        .execute();
    });
  }
}

/** The forwarder the gate runs for `audit.syslog`, its TLS files read once at start. */
export function createAuditSyslogForwarder(
  db: RsDatabase,
  syslog: AuditSyslogConfig & { host: string },
  options: { anchorIntervalMs: number; metrics?: SyslogMetrics | undefined },
): AuditSyslogForwarder {
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  return new AuditSyslogForwarder({
    db,
    transport: new TlsSyslogTransport({
      host: syslog.host,
      port: syslog.port,
      ca: read(syslog.caFile),
      cert: read(syslog.certFile),
      key: read(syslog.keyFile),
      serverName: syslog.serverName,
      timeoutMs: syslog.timeoutSeconds * 1000,
    }),
    origin: { hostname: syslog.hostname ?? hostname(), appName: syslog.appName, procId: String(process.pid), enterpriseId: syslog.enterpriseId },
    batchSize: syslog.batchSize,
    pollIntervalMs: syslog.pollIntervalMs,
    minBackoffMs: syslog.minBackoffMs,
    maxBackoffMs: syslog.maxBackoffSeconds * 1000,
    anchorIntervalMs: options.anchorIntervalMs,
    leaseMs: syslog.leaseSeconds * 1000,
    metrics: options.metrics,
  });
}
