import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokens, gateNodeFlags, repoRoot, stackCli, viewerTargets } from '@reading-station/stack';
import { FRAME_ACCEPT, demoUser, runningStack, type RunningStack } from '../support/gate-client.ts';

// ATNA forwarding against a real collector: Debian's rsyslogd with its TLS driver (gtls), started
// here as a private process (its own configuration, work directory, certificates made with openssl
// for this run, output file, a free loopback port). The stack's gate is replaced for the test by
// one started from the sources with the same configuration plus RS_AUDIT_SYSLOG_*, so requests
// reach it through nginx as usual. Under load the collector is stopped for 60 s: the gate keeps
// answering, the spool grows, and once rsyslogd is back every audit row of the table reaches it.

const run = promisify(execFile);
const OUTAGE_MS = 60_000;
const gateSource = path.join(repoRoot, 'proxy-server/src/main.ts');

let stack: RunningStack;
let dir: string;
let collectorPort: number;
let rsyslogd: ChildProcess | undefined;
let gate: ChildProcess | undefined;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, the collector's certificate (localhost, 127.0.0.1) and the gate's client certificate, made per run. */
function makeCertificates(): void {
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', `${name}.key`);
  key('ca');
  openssl('req', '-x509', '-key', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=ATNA test CA');
  for (const [name, subject, extensions] of [
    ['collector', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
    ['gate', '/CN=reading-station-gate', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    key(name);
    writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** rsyslogd's configuration: TLS (gtls) input on the port, senders must show a certificate of the CA, every message into one file. */
function writeRsyslogConfig(): string {
  const file = path.join(dir, 'rsyslog.conf');
  mkdirSync(path.join(dir, 'work'), { recursive: true });
  writeFileSync(
    file,
    `global(workDirectory="${dir}/work" maxMessageSize="64k"
  defaultNetstreamDriver="gtls"
  defaultNetstreamDriverCAFile="${dir}/ca.pem"
  defaultNetstreamDriverCertFile="${dir}/collector.pem"
  defaultNetstreamDriverKeyFile="${dir}/collector.key")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
template(name="atna" type="string" string="%msgid%\\t%structured-data%\\t%msg%\\n")
ruleset(name="atna") { action(type="omfile" file="${dir}/received.log" template="atna") }
input(type="imtcp" port="${collectorPort}" address="127.0.0.1" ruleset="atna")
`,
  );
  return file;
}

async function within(ms: number, check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

async function startCollector(): Promise<void> {
  const log = openSync(path.join(dir, 'rsyslogd.log'), 'a');
  rsyslogd = spawn('rsyslogd', ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', log, log] });
  closeSync(log);
  try {
    await within(15_000, () => listening(collectorPort), 'rsyslogd listening');
  } catch (error) {
    // Why it did not listen (a missing TLS driver, a bad certificate) is in its own output.
    throw new Error(`${(error as Error).message}: ${readFileSync(path.join(dir, 'rsyslogd.log'), 'utf8').trim().split('\n').slice(-5).join(' / ')}`, { cause: error });
  }
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const gateAnswers = () => fetch(`${stack.gate.url}/api/healthz`).then((response) => response.ok, () => false);

/** One sample of the gate's metrics, through nginx's operations server. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${stack.opsUrl}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `) || entry.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.split(' ').at(-1));
}

function auditDb<T>(read: (db: Database.Database) => T): T {
  const db = new Database(stack.gate.database, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const cursor = () => auditDb((db) => Number((db.prepare("select last_id from audit_forwarding where sink = 'syslog'").get() as { last_id: number } | undefined)?.last_id ?? 0));

interface Received {
  msgId: string;
  id: number;
  hash: string;
  msg: string;
}

/** rsyslogd's output, one message a line: MSGID, structured data, MSG (its control characters escaped as #ooo). */
function received(): Received[] {
  const file = path.join(dir, 'received.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [msgId = '', sd = '', msg = ''] = line.split('\t');
      const params = /^\[rs(?:Audit|Anchor)@32473 id="(\d+)" hash="([^"]*)"/.exec(sd);
      return { msgId, id: Number(params?.[1] ?? Number.NaN), hash: params?.[2] ?? '', msg };
    });
}

interface LoadResult {
  at: number;
  status: number;
  ms: number;
}

/** Paced frame requests by a demo user through nginx until stopped: a reading radiologist's traffic. */
function startLoad(frames: readonly string[], tokens: AccessTokens, workers: number, results: LoadResult[]): () => Promise<void> {
  let stopped = false;
  let next = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped) {
      const target = frames[next++ % frames.length] as string;
      const started = Date.now();
      let status: number;
      try {
        const response = await fetch(`${stack.baseUrl}${target}`, { headers: { authorization: `Bearer ${await tokens.token()}`, accept: FRAME_ACCEPT }, signal: AbortSignal.timeout(30_000) });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 0;
      }
      results.push({ at: started, status, ms: Date.now() - started });
      // Paced, not flat out: the machine is shared, and a few requests a second make hundreds of rows.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
  };
}

beforeAll(async () => {
  stack = runningStack();
  dir = mkdtempSync(path.join(tmpdir(), 'rs-atna-'));
  makeCertificates();
  collectorPort = await freePort();
  const config = writeRsyslogConfig();
  // rsyslogd checks its configuration (the gtls driver loads): missing packages are said here, in one line.
  try {
    execFileSync('rsyslogd', ['-N1', '-f', config], { stdio: 'pipe' });
  } catch (error) {
    const output = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim();
    throw new Error(`rsyslogd cannot run this test's configuration (npm run setup installs rsyslog and rsyslog-gnutls): ${output}`, { cause: error });
  }
  await startCollector();
  // The stack's gate makes way for one that forwards (same configuration file, same port).
  await run(process.execPath, [stackCli, 'gate', 'stop'], { env: process.env });
  const log = openSync(path.join(dir, 'gate.log'), 'a');
  gate = spawn(process.execPath, [...gateNodeFlags, gateSource, '--config', stack.gate.configFile], {
    cwd: repoRoot,
    stdio: ['ignore', log, log],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/',
      NODE_ENV: 'production',
      RS_AUDIT_SYSLOG_HOST: '127.0.0.1',
      RS_AUDIT_SYSLOG_PORT: String(collectorPort),
      RS_AUDIT_SYSLOG_SERVER_NAME: 'localhost',
      RS_AUDIT_SYSLOG_CA_FILE: path.join(dir, 'ca.pem'),
      RS_AUDIT_SYSLOG_CERT_FILE: path.join(dir, 'gate.pem'),
      RS_AUDIT_SYSLOG_KEY_FILE: path.join(dir, 'gate.key'),
      RS_AUDIT_SYSLOG_HOSTNAME: 'reading-station-test',
      // Back within seconds of the collector, not after a minute's backoff.
      RS_AUDIT_SYSLOG_MAX_BACKOFF: '2',
    },
  });
  closeSync(log);
  await within(60_000, gateAnswers, 'the forwarding gate answering');
}, 180_000);

afterAll(async () => {
  await stopProcess(gate);
  await stopProcess(rsyslogd);
  // Never leave the stack without its own gate for the suites after this one.
  if (!(await gateAnswers())) await run(process.execPath, [stackCli, 'gate', 'start'], { env: process.env });
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('ATNA syslog forwarding through the audit spool', () => {
  it('loses no audit row while the collector is stopped for 60 s under load, and never holds up the gate', async () => {
    const startCursor = cursor();
    const username = 'rad.chen';
    const tokens = new AccessTokens(stack.baseUrl, demoUser(stack, username));
    const { frames } = await viewerTargets(stack.baseUrl, tokens, demoUser(stack, username).studies[0] as string);
    const results: LoadResult[] = [];
    const stopLoad = startLoad(frames, tokens, 3, results);
    try {
      // Forwarding while the collector is up.
      await within(30_000, async () => received().some((message) => message.msgId === 'IHE+RFC-3881') && (await metric('reading_station_audit_syslog_up')) === 1, 'first rows at the collector');

      await stopProcess(rsyslogd);
      const stoppedAt = Date.now();
      expect(await listening(collectorPort)).toBe(false);
      await within(OUTAGE_MS, () => Date.now() - stoppedAt >= OUTAGE_MS, 'the outage');
      const sampledAt = Date.now();
      const spoolRows = await metric('reading_station_audit_syslog_spool_rows');
      const spoolAge = await metric('reading_station_audit_syslog_spool_oldest_seconds');
      const failures = await metric('reading_station_audit_syslog_failures_total');
      expect(await metric('reading_station_audit_syslog_up')).toBe(0);

      await startCollector();
      const backAt = Date.now();
      await within(10_000, () => results.some((result) => result.at > backAt), 'requests after the collector is back');
      await stopLoad();

      // The gate answered throughout: every request of the outage 200, none held up by syslog.
      const during = results.filter((result) => result.at >= stoppedAt && result.at < backAt);
      expect(during.length).toBeGreaterThan(100);
      expect(during.filter((result) => result.status !== 200)).toEqual([]);
      expect(Math.max(...during.map((result) => result.ms))).toBeLessThan(5000);
      // The spool held what the collector missed: at least a row for every request answered in the
      // outage up to a few seconds before the sample (the gauge is set after each attempt, every 2 s
      // at most), the oldest as old as the outage.
      expect(spoolRows).toBeGreaterThanOrEqual(during.filter((result) => result.at + result.ms < sampledAt - 5000).length);
      expect(spoolAge).toBeGreaterThan(50);
      expect(failures).toBeGreaterThan(0);

      const last = auditDb((db) => (db.prepare('select max(id) as id from audit_log').get() as { id: number }).id);
      await within(90_000, () => cursor() >= last, `the spool drained to row ${last}`);
      expect(await metric('reading_station_audit_syslog_up')).toBe(1);

      // Every row of the table after the cursor the test started from is at the collector, with its hash and its DICOM audit message.
      const rows = auditDb((db) => db.prepare('select id, hash from audit_log where id > ? and id <= ? order by id').all(startCursor, last) as Array<{ id: number; hash: string }>);
      const messages = received();
      const events = messages.filter((message) => message.msgId === 'IHE+RFC-3881');
      const byId = new Map(events.map((message) => [message.id, message]));
      const missing = rows.filter((row) => !byId.has(row.id)).map((row) => row.id);
      expect(missing, `${missing.length} of ${rows.length} rows never reached the collector`).toEqual([]);
      expect(rows.filter((row) => byId.get(row.id)?.hash !== row.hash).map((row) => row.id)).toEqual([]);
      for (const row of [rows[0], rows[Math.floor(rows.length / 2)], rows.at(-1)]) {
        const msg = byId.get(row!.id)!.msg;
        expect(msg).toContain('<AuditMessage>');
        expect(msg).toContain(`ParticipantObjectID="${row!.id}"`);
        expect(msg).toContain('AuditSourceID="reading-station-test"');
      }
      // The chain head went the same way, and names a row as the table holds it.
      const anchors = messages.filter((message) => message.msgId === 'RS-AUDIT-ANCHOR');
      expect(anchors.length).toBeGreaterThan(0);
      const anchored = auditDb((db) => db.prepare('select hash from audit_log where id = ?').get(anchors[0]!.id) as { hash: string });
      expect(anchors[0]!.hash).toBe(anchored.hash);

      const duplicates = events.length - new Set(events.map((message) => message.id)).size;
      console.info(
        `audit syslog: ${rows.length} rows forwarded (${during.length} requests during the ${OUTAGE_MS / 1000} s outage, spool ${spoolRows} rows, oldest ${Math.round(spoolAge)} s); ${duplicates} duplicates at the collector`,
      );
    } finally {
      await stopLoad();
    }
  }, 300_000);
});
