// proxy-server's process: configuration, migrations, listening and graceful shutdown. Everything
// else lives in the app factory (app.ts), which tests build without a process around it.
//   node proxy-server/dist/main.js [--config <file>]   (compiled: src/build/build.ts; or src/main.ts from the sources)
//   environment: RS_* — see config.ts
import type { Server } from 'node:http';
import { buildServer } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import type { Config } from './config-schema.ts';
import { createDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrations.ts';
import { loadSigningKey, type SigningKey } from './auth/signing-key.ts';
import { gateRoutes } from './gate-routes.ts';
import { OrthancClient } from './orthanc/orthanc-client.ts';
import { RegistrySync } from './sync/registry-sync.ts';
import { ServedLogFollower } from './audit/served-log.ts';
import { createAuditSyslogForwarder, createSyslogMetrics, type AuditSyslogForwarder } from './audit/syslog-forwarder.ts';
import { StudyRevisions } from './dicomweb/study-revisions.ts';
import type { RsDatabase } from './db/database.ts';
import { createGateMetrics } from './metrics/gate-metrics.ts';
import { listenOps } from './metrics/ops-server.ts';

const SHUTDOWN_GRACE_MS = 10_000;

function createRegistrySync(orthanc: NonNullable<Config['orthanc']>, db: RsDatabase): RegistrySync {
  const source = new OrthancClient({ baseUrl: orthanc.url, username: orthanc.username, password: orthanc.password }, { timeoutMs: 30_000 });
  return new RegistrySync({
    db,
    source,
    pollIntervalMs: orthanc.sync.pollIntervalMs,
    batchSize: orthanc.sync.batchSize,
    leaseMs: orthanc.sync.leaseSeconds * 1000,
    maxBackoffMs: orthanc.sync.maxBackoffSeconds * 1000,
  });
}

function createStudyRevisions(config: Config): StudyRevisions | undefined {
  const { orthanc, dicomwebCache } = config;
  if (orthanc === undefined || !dicomwebCache.enabled) return undefined;
  // Metadata requests wait for a look: one that hangs ends soon, and they stream uncached.
  const source = new OrthancClient({ baseUrl: orthanc.url, username: orthanc.username, password: orthanc.password }, { timeoutMs: Math.max(1000, dicomwebCache.revisionPollMs * 2) });
  return new StudyRevisions({
    source,
    pollIntervalMs: dicomwebCache.revisionPollMs,
    maxStudies: dicomwebCache.maxStudies,
    idleMs: dicomwebCache.idleSeconds * 1000,
  });
}

function fail(message: string): never {
  process.stderr.write(`proxy-server: ${message}\n`);
  process.exit(1);
}

function describeDatabase(config: Config): string {
  // Never the PostgreSQL connection string: it may carry a password.
  return config.database.client === 'sqlite' ? `sqlite ${config.database.filename}` : 'postgres';
}

function listenFailure(error: unknown, config: Config): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const where = `${config.listen.host}:${config.listen.port}`;
  if (code === 'EADDRINUSE') return `cannot listen on ${where}: the address is already in use (another proxy-server? set listen.port / RS_PORT)`;
  if (code === 'EACCES') return `cannot listen on ${where}: permission denied`;
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: no such local address (check listen.host / RS_HOST)`;
  return `cannot listen on ${where}: ${error instanceof Error ? error.message : String(error)}`;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const db = createDatabase(config.database);
  let applied: string[];
  try {
    applied = await migrateToLatest(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    fail(`database ${describeDatabase(config)}: ${error instanceof Error ? error.message : String(error)}`);
  }

  let signingKey: SigningKey;
  try {
    signingKey = loadSigningKey(config.auth);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    fail(error instanceof Error ? error.message : String(error));
  }

  const metrics = createGateMetrics();
  const registrySync = config.orthanc?.sync.enabled ? createRegistrySync(config.orthanc, db) : undefined;
  const studyRevisions = createStudyRevisions(config);
  const app = buildServer(config, {
    db,
    routes: [gateRoutes(signingKey, { metrics, ...(studyRevisions !== undefined && { studyRevisions }) })],
    ...(registrySync !== undefined && { registrySync }),
  });
  // Stopped before the server closes its database (preClose runs before every onClose hook).
  if (registrySync !== undefined) app.addHook('preClose', async () => registrySync.stop());
  if (studyRevisions !== undefined) app.addHook('preClose', async () => studyRevisions.stop());
  const servedLog = config.audit.servedLogFile === undefined ? undefined : new ServedLogFollower(db, config.audit.servedLogFile, { pollIntervalMs: config.audit.servedLogPollMs });
  if (servedLog !== undefined) app.addHook('preClose', async () => servedLog.stop());
  const { syslog } = config.audit;
  let syslogForwarder: AuditSyslogForwarder | undefined;
  try {
    syslogForwarder =
      syslog?.host === undefined
        ? undefined
        : createAuditSyslogForwarder(db, { ...syslog, host: syslog.host }, { anchorIntervalMs: config.audit.anchorIntervalSeconds * 1000, metrics: createSyslogMetrics(metrics.registry) });
  } catch (error) {
    // An unreadable CA, certificate or key file: said at start, not at the first delivery.
    await db.destroy().catch(() => undefined);
    fail(`audit.syslog: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (syslogForwarder !== undefined) app.addHook('preClose', async () => syslogForwarder.stop());
  if (signingKey.ephemeral) {
    app.log.warn('auth.signingKeyFile is not set: signing access tokens with a key made at start (sessions renew through their refresh tokens after a restart)');
  }
  app.log.info({ database: describeDatabase(config), migrationsApplied: applied }, 'database ready');
  if (config.orthancHealthUrl === undefined) app.log.warn('orthancHealthUrl is not set: /api/readyz will answer 503 until it is');
  if (config.proxySecret === undefined) app.log.warn('proxySecret is not set: X-Real-IP is believed from any process that can reach the gate from a trusted proxy address');

  try {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (error) {
    await app.close().catch(() => undefined);
    fail(listenFailure(error, config));
  }
  const { opsSocket } = config.listen;
  let ops: Server | undefined;
  if (opsSocket !== undefined) {
    try {
      ops = await listenOps(opsSocket, metrics);
    } catch (error) {
      await app.close().catch(() => undefined);
      fail(`cannot listen on the operations socket ${opsSocket}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  if (registrySync !== undefined) {
    const log = app.log.child({ component: 'registry-sync' });
    registrySync.setLogger({ info: (details, message) => log.info(details, message), warn: (details, message) => log.warn(details, message) });
    registrySync.start();
    log.info({ orthanc: new URL(config.orthanc?.url ?? '').origin }, "following Orthanc's changes");
  } else {
    app.log.warn('orthanc is not configured: the registry does not follow Orthanc (studies are recorded only by the admin CLI)');
  }

  if (servedLog !== undefined) {
    const log = app.log.child({ component: 'served-log' });
    servedLog.setErrorHandler((error) => log.warn({ err: error instanceof Error ? error.message : String(error) }, "cannot read nginx's served log into audit_served"));
    servedLog.start();
    log.info({ file: config.audit.servedLogFile }, "recording what nginx served from its served log");
  }

  if (syslog !== undefined && syslog.host === undefined) app.log.warn('audit.syslog is set without a host: the audit log is not forwarded');
  if (syslogForwarder !== undefined) {
    const log = app.log.child({ component: 'audit-syslog' });
    syslogForwarder.setLogger({ info: (details, message) => log.info(details, message), warn: (details, message) => log.warn(details, message) });
    syslogForwarder.start();
    log.info({ collector: `${syslog?.host}:${syslog?.port}` }, "forwarding the audit log to the syslog collector (RFC 5425) from the audit table's spool");
  }

  if (studyRevisions !== undefined) {
    const log = app.log.child({ component: 'dicomweb-cache' });
    // One line when the watch starts failing and one when it recovers, not one per poll.
    studyRevisions.setErrorHandler((error) =>
      log.warn({ err: error === undefined ? undefined : error instanceof Error ? error.message : String(error) },
        error === undefined ? 'study revisions checked against Orthanc again: DICOMweb answers are cached again' : 'cannot check study revisions in Orthanc: DICOMweb answers are served uncached until it can'),
    );
    studyRevisions.start();
    log.info({ revisionPollMs: studyRevisions.pollIntervalMs }, 'DICOMweb cache on: study revisions checked against Orthanc');
  } else {
    app.log.info('DICOMweb cache off: every answer comes from Orthanc');
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const forced = setTimeout(() => {
      app.log.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS} ms: exiting`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    ops?.close();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  // An unexpected failure at start: one line, the stack only when asked for.
  fail(process.env.RS_DEBUG ? String(error instanceof Error ? error.stack : error) : `failed to start: ${error instanceof Error ? error.message : String(error)} (set RS_DEBUG=1 for details)`);
});
