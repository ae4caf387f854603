import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, isStale, packageDir } from '@reading-station/proxy-server/build';
import { repoRoot } from './config.ts';
import { StackError } from './errors.ts';
import type { StackLayout } from './layout.ts';
import { startDetached, waitUntilReady, type StartedProcess } from './processes.ts';

/** proxy-server's entry point, compiled to JavaScript (@reading-station/proxy-server/build). */
export const gateMain = path.join(packageDir, 'dist/main.js');

/**
 * Node's flags for the gate. Under load V8 let the gate's young generation grow to 64 MiB (two
 * 32 MiB semi-spaces) for request objects that live a few milliseconds; 8 MiB semi-spaces hold it
 * to 16 MiB. Figures in bench/RESULTS.md.
 */
export const gateNodeFlags = ['--max-semi-space-size=8'];

/** Compiles proxy-server into dist/ when a source is newer than the last build. */
export function buildGate(report: (line: string) => void): void {
  const layout = { packageDir };
  if (!isStale(layout)) return;
  report('building proxy-server (TypeScript → proxy-server/dist)');
  try {
    build(layout);
  } catch (error) {
    throw new StackError((error as Error).message);
  }
}

export interface GateSettings {
  layout: StackLayout;
  port: number;
  opsPort: number;
  publicBaseUrl: string;
  accessTokenTtlSeconds: number;
  /** Orthanc's REST API for the registry sync (its URL and the credentials the stack made). */
  orthanc?: { url: string; username: string; password: string };
  /** nginx's DICOMweb cache: whether the gate redirects to the cached location, and how often it checks revisions. */
  dicomwebCache?: { enabled: boolean; revisionPollMs: number };
}

/** The gate's access-token signing key: made once per stack directory, kept across restarts. */
export function ensureSigningKey(layout: StackLayout): string {
  const file = path.join(layout.gate.dir, 'signing-key.pem');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return file;
}

/**
 * The secret nginx adds to every request it passes to the gate (X-Reading-Station-Proxy): the gate
 * believes X-Real-IP only from requests that carry it. Made once per stack directory (mode 600),
 * written into the gate's and nginx's configuration files only.
 */
export function ensureProxySecret(layout: StackLayout): string {
  const file = layout.gate.proxySecretFile;
  if (!existsSync(file)) {
    mkdirSync(layout.gate.dir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * The audit chain's HMAC key (proxy-server's audit.keyFile): made once per stack directory (mode
 * 600), kept across restarts so the whole log verifies; the admin CLI reads it through the gate's
 * configuration file.
 */
export function ensureAuditKey(layout: StackLayout): string {
  const file = path.join(layout.gate.dir, 'audit.key');
  if (!existsSync(file)) {
    mkdirSync(layout.gate.dir, { recursive: true });
    writeFileSync(file, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
  }
  return file;
}

export function gateConfiguration(settings: GateSettings) {
  mkdirSync(settings.layout.gate.dir, { recursive: true });
  return {
    auth: {
      algorithm: 'ES256',
      signingKeyFile: ensureSigningKey(settings.layout),
      accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
    },
    listen: { host: '127.0.0.1', port: settings.port, opsSocket: settings.layout.gate.opsSocket },
    database: { client: 'sqlite', filename: settings.layout.gate.database },
    // The chain head goes to an append-only file beside the database (docs/security.md, "Audit log").
    audit: {
      keyFile: ensureAuditKey(settings.layout),
      anchorFile: path.join(settings.layout.gate.dir, 'audit-anchor.log'),
      // What nginx served for each allowed request (log_format rs_served, nginx-served.log).
      servedLogFile: path.join(settings.layout.logs, 'nginx-served.log'),
    },
    orthancHealthUrl: `http://127.0.0.1:${settings.opsPort}/orthanc/system`,
    // The registry follows Orthanc's changes; polled often so a stored study shows within about a second of being stable.
    ...(settings.orthanc !== undefined && { orthanc: { ...settings.orthanc, sync: { pollIntervalMs: 250 } } }),
    // Study revisions for nginx's DICOMweb cache, checked against Orthanc as often as the sync polls.
    dicomwebCache: settings.dicomwebCache ?? { enabled: false },
    trustedProxies: ['127.0.0.1'],
    proxySecret: ensureProxySecret(settings.layout),
    publicBaseUrl: settings.publicBaseUrl,
    logLevel: 'info',
  };
}

export async function startGate(settings: GateSettings): Promise<StartedProcess> {
  const { layout } = settings;
  writeFileSync(layout.gate.configFile, JSON.stringify(gateConfiguration(settings), null, 2), { mode: 0o600 });
  const started = startDetached(process.execPath, [...gateNodeFlags, gateMain, '--config', layout.gate.configFile], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', HOME: process.env.HOME ?? '/' },
    log: layout.gate.log,
    marker: layout.gate.configFile,
  });
  await waitUntilReady(
    'proxy-server',
    started,
    async () => {
      const response = await fetch(`http://127.0.0.1:${settings.port}/api/healthz`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return response.ok;
    },
    30_000,
  );
  return started;
}
