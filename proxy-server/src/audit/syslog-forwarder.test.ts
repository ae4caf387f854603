import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RsDatabase } from '../db/database.ts';
import { createTempDatabase } from '../testing/temp-database.ts';
import { PG_SKIP_REASON, createTempPostgres, testPgAdminUrl } from '../testing/temp-postgres.ts';
import { AuditLog } from './audit-log.ts';
import { AuditSyslogForwarder, TlsSyslogTransport, createSyslogMetrics, type SyslogTransport } from './syslog-forwarder.ts';

const origin = { hostname: 'gate-1', appName: 'reading-station', procId: '1', enterpriseId: 32473 };

let temp: { db: RsDatabase; dispose(): Promise<void> } | undefined;

const backends = [
  { name: 'SQLite', skip: false, create: () => createTempDatabase() },
  { name: `PostgreSQL${testPgAdminUrl ? '' : ` (${PG_SKIP_REASON})`}`, skip: !testPgAdminUrl, create: () => createTempPostgres() },
];
afterEach(async () => {
  await temp?.dispose();
  temp = undefined;
});

const access = (n: number) => ({ action: 'DICOM_ACCESS' as const, result: 'success' as const, requestId: `req-${n}`, username: 'rad.curie', role: 'radiologist', studyUid: '1.2.3' });

/** A transport that records what it was given and fails while `down`. */
class FakeCollector implements SyslogTransport {
  down = false;
  batches: string[][] = [];

  async deliver(frames: readonly Buffer[]): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    this.batches.push(frames.map((frame) => frame.toString('utf8')));
  }

  /** Row ids of the audit messages received, in order (anchors left out). */
  ids(): number[] {
    return this.batches.flat().flatMap((frame) => {
      const id = /\[rsAudit@\d+ id="(\d+)"/.exec(frame)?.[1];
      return id === undefined ? [] : [Number(id)];
    });
  }
}

async function withRows(count: number, create: () => Promise<{ db: RsDatabase; dispose(): Promise<void> }> = createTempDatabase): Promise<{ db: RsDatabase; dispose(): Promise<void> }> {
  const db = await create();
  const log = new AuditLog(db.db);
  for (let n = 0; n < count; n++) await log.append(access(n));
  return db;
}

async function gauge(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value ?? Number.NaN;
}

describe.each(backends)('AuditSyslogForwarder on $name', ({ skip, create }) => {
  it.skipIf(skip)('sends every row after the cursor in batches and moves the cursor only past what was delivered', async () => {
    temp = await withRows(25, create);
    const collector = new FakeCollector();
    const forwarder = new AuditSyslogForwarder({ db: temp.db, transport: collector, origin, batchSize: 10, anchorIntervalMs: 3_600_000 });
    expect(await forwarder.cursor()).toBe(0);
    expect(await forwarder.step()).toBe('more');
    expect(await forwarder.cursor()).toBe(10);
    expect(await forwarder.step()).toBe('more');
    expect(await forwarder.step()).toBe('idle');
    expect(await forwarder.cursor()).toBe(25);
    expect(collector.batches.map((batch) => batch.length)).toEqual([10 + 1, 10, 5]); // the chain head rides with the first batch
    expect(collector.ids()).toEqual(Array.from({ length: 25 }, (_, n) => n + 1));
    expect(await forwarder.step()).toBe('idle');
    expect(collector.batches).toHaveLength(3);
  });

  it.skipIf(skip)('leaves the cursor where it was when a batch is not delivered, and sends the same rows again', async () => {
    temp = await withRows(5, create);
    const collector = new FakeCollector();
    const registry = new Registry();
    const metrics = createSyslogMetrics(registry);
    const forwarder = new AuditSyslogForwarder({ db: temp.db, transport: collector, origin, batchSize: 3, metrics, anchorIntervalMs: 3_600_000 });
    collector.down = true;
    await expect(forwarder.step()).rejects.toThrow(/ECONNREFUSED/);
    await expect(forwarder.step()).rejects.toThrow(/ECONNREFUSED/);
    expect(await forwarder.cursor()).toBe(0);
    expect(await gauge(registry, 'reading_station_audit_syslog_failures_total')).toBe(2);
    expect(await gauge(registry, 'reading_station_audit_syslog_up')).toBe(0);
    await forwarder.measureSpool();
    expect(await gauge(registry, 'reading_station_audit_syslog_spool_rows')).toBe(5);
    expect(await gauge(registry, 'reading_station_audit_syslog_spool_oldest_seconds')).toBeGreaterThanOrEqual(0);

    collector.down = false;
    expect(await forwarder.step()).toBe('more');
    expect(await forwarder.step()).toBe('idle');
    expect(collector.ids()).toEqual([1, 2, 3, 4, 5]);
    expect(await forwarder.cursor()).toBe(5);
    await forwarder.measureSpool();
    expect(await gauge(registry, 'reading_station_audit_syslog_spool_rows')).toBe(0);
    expect(await gauge(registry, 'reading_station_audit_syslog_spool_oldest_seconds')).toBe(0);
    expect(await gauge(registry, 'reading_station_audit_syslog_up')).toBe(1);
  });

  it.skipIf(skip)('stops without waiting for a collector that does not answer, the batch left in the spool', async () => {
    temp = await withRows(3, create);
    let delivering: (() => void) | undefined;
    const hanging: SyslogTransport = {
      deliver: (_frames, signal) =>
        new Promise<void>((_resolve, reject) => {
          delivering?.();
          signal?.addEventListener('abort', () => reject(new Error('forwarding stopped')));
        }),
    };
    const forwarder = new AuditSyslogForwarder({ db: temp.db, transport: hanging, origin });
    const started = new Promise<void>((resolve) => (delivering = resolve));
    forwarder.start();
    await started;
    await forwarder.stop();
    expect(await forwarder.cursor()).toBe(0);
  });

  it.skipIf(skip)('reports the age of the oldest undelivered row', async () => {
    temp = await withRows(2, create);
    const registry = new Registry();
    const at = Date.parse((await temp.db.selectFrom('audit_log').select('at').where('id', '=', 1).executeTakeFirstOrThrow()).at);
    const forwarder = new AuditSyslogForwarder({ db: temp.db, transport: new FakeCollector(), origin, metrics: createSyslogMetrics(registry), now: () => new Date(at + 90_000) });
    await forwarder.measureSpool();
    expect(await gauge(registry, 'reading_station_audit_syslog_spool_oldest_seconds')).toBeCloseTo(90, 0);
  });

  it.skipIf(skip)('lets one gate forward at a time; another takes over from the cursor when the first gives up its lease', async () => {
    temp = await withRows(4, create);
    const first = new FakeCollector();
    const second = new FakeCollector();
    const a = new AuditSyslogForwarder({ db: temp.db, transport: first, origin, owner: 'gate-a', batchSize: 2, anchorIntervalMs: 3_600_000 });
    const b = new AuditSyslogForwarder({ db: temp.db, transport: second, origin, owner: 'gate-b', batchSize: 2, anchorIntervalMs: 3_600_000 });
    expect(await a.step()).toBe('more');
    expect(await b.step()).toBe('standby');
    expect(second.batches).toEqual([]);
    await a.stop();
    expect(await b.step()).toBe('more');
    expect(await b.step()).toBe('idle');
    expect(first.ids()).toEqual([1, 2]);
    expect(second.ids()).toEqual([3, 4]);
  });

  it.skipIf(skip)('sends the chain head when it is due and has moved, and not again while it stays', async () => {
    temp = await withRows(3, create);
    const collector = new FakeCollector();
    let now = Date.parse('2026-11-27T10:00:00.000Z');
    const forwarder = new AuditSyslogForwarder({ db: temp.db, transport: collector, origin, anchorIntervalMs: 60_000, now: () => new Date(now) });
    const anchors = () => collector.batches.flat().filter((frame) => frame.includes(' RS-AUDIT-ANCHOR '));
    await forwarder.step();
    const head = await temp.db.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(anchors()).toEqual([expect.stringContaining(`[rsAnchor@32473 id="3" hash="${head.hash}"]`)]);
    now += 120_000;
    expect(await forwarder.step()).toBe('idle');
    expect(anchors()).toHaveLength(1); // due, but the head has not moved
    await new AuditLog(temp.db).append(access(9));
    await forwarder.step();
    expect(anchors()).toHaveLength(2);
    expect(anchors()[1]).toContain('id="4"');
    await new AuditLog(temp.db).append(access(10));
    now += 10_000;
    await forwarder.step();
    expect(anchors()).toHaveLength(2); // moved, but not due yet
    now += 60_000;
    await forwarder.step();
    expect(anchors()).toHaveLength(3);
    expect(anchors()[2]).toContain('id="5"');
  });
});

describe('TlsSyslogTransport', () => {
  let dir: string;
  let pki: { ca: Buffer; key: Buffer; cert: Buffer };

  beforeAll(() => {
    // A CA and a server certificate for "collector.test", made per run with openssl.
    dir = mkdtempSync(path.join(tmpdir(), 'rs-syslog-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test ca');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=collector.test');
    writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:collector.test\nextendedKeyUsage=serverAuth\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
    pki = { ca: readFileSync(path.join(dir, 'ca.pem')), key: readFileSync(path.join(dir, 'server.key')), cert: readFileSync(path.join(dir, 'server.pem')) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A TLS server on a free loopback port; `onSocket` decides how it treats each connection. */
  async function collector(onSocket: (socket: tls.TLSSocket) => void, options: { allowHalfOpen?: boolean } = {}): Promise<{ port: number; close: () => Promise<void> }> {
    const sockets = new Set<tls.TLSSocket>();
    const server = tls.createServer({ key: pki.key, cert: pki.cert, ...options }, (socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      onSocket(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      port,
      close: () => {
        for (const socket of sockets) socket.destroy();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  const transport = (port: number, serverName = 'collector.test') => new TlsSyslogTransport({ host: '127.0.0.1', port, ca: pki.ca, serverName, timeoutMs: 5000 });

  it('confirms a batch once the collector has read it to our close and closed in reply', async () => {
    let received = Buffer.alloc(0);
    const server = await collector((socket) => {
      socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      // allowHalfOpen off: the server ends its side when it reads our end, as RFC 5425 asks.
    });
    try {
      await transport(server.port).deliver([Buffer.from('3 abc'), Buffer.from('2 de')]);
      expect(received.toString()).toBe('3 abc2 de');
    } finally {
      await server.close();
    }
  });

  it('does not confirm when the collector resets the connection (a collector that stops with the batch unread)', async () => {
    // The TCP connection under the TLS session, so the collector can reset it (RST) once TLS is up.
    const server = net.createServer((raw) => {
      const socket = new tls.TLSSocket(raw, { isServer: true, key: pki.key, cert: pki.cert });
      socket.on('error', () => undefined);
      socket.on('secure', () => raw.resetAndDestroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await expect(transport((server.address() as { port: number }).port).deliver([Buffer.from('3 abc')])).rejects.toThrow(/ECONNRESET|confirm/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('does not confirm when the collector reads everything but never closes in reply', async () => {
    const server = await collector((socket) => socket.on('data', () => undefined), { allowHalfOpen: true });
    try {
      const slow = new TlsSyslogTransport({ host: '127.0.0.1', port: server.port, ca: pki.ca, serverName: 'collector.test', timeoutMs: 500 });
      await expect(slow.deliver([Buffer.from('3 abc')])).rejects.toThrow(/did not confirm within 500 ms/);
    } finally {
      await server.close();
    }
  });

  it('gives a batch up at once when forwarding stops', async () => {
    const server = await collector((socket) => socket.on('data', () => undefined), { allowHalfOpen: true });
    try {
      const stopping = new AbortController();
      const delivery = transport(server.port).deliver([Buffer.from('3 abc')], stopping.signal);
      setTimeout(() => stopping.abort(), 200);
      await expect(delivery).rejects.toThrow(/forwarding stopped/);
    } finally {
      await server.close();
    }
  });

  it('refuses a collector whose certificate does not carry the expected name, and one nobody listens for', async () => {
    const server = await collector((socket) => socket.on('data', () => undefined));
    try {
      await expect(transport(server.port, 'other.test').deliver([Buffer.from('3 abc')])).rejects.toThrow(/other\.test/);
    } finally {
      await server.close();
    }
    await expect(transport(server.port).deliver([Buffer.from('3 abc')])).rejects.toThrow(/ECONNREFUSED/);
  });
});
