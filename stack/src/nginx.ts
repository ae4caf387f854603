import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync, chownSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './config.ts';
import { assertConnectionBudget, connectionBudget, renderedConnectionProblems, type ConnectionBudget } from './connection-budget.ts';
import { StackError } from './errors.ts';
import { ensureProxySecret } from './gate.ts';
import type { StackLayout } from './layout.ts';
import { startDetached, waitUntilReady, type StartedProcess } from './processes.ts';
import { renderTemplate } from './template.ts';
import { tlsServerDirectives, type TlsFiles } from './tls.ts';

const execFileAsync = promisify(execFile);

export const nginxTemplateFile = path.join(repoRoot, 'nginx/reading-station.conf.template');
export const appLocationTemplateFile = path.join(repoRoot, 'nginx/app-location.conf.template');
export const appMissingLocationTemplateFile = path.join(repoRoot, 'nginx/app-missing-location.conf.template');
export const snippetsDir = path.join(repoRoot, 'nginx/snippets');

/** Origins a CORS map may name: scheme://host[:port], nothing nginx could read as syntax. */
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?$/;

export function corsOriginMap(origins: readonly string[]): string {
  return origins
    .map((origin) => {
      if (!ORIGIN.test(origin)) throw new StackError(`CORS origin ${JSON.stringify(origin)} is not of the form scheme://host[:port]`);
      return `        "${origin}" $http_origin;`;
    })
    .join('\n');
}

export function locateNginx(): string {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    if (existsSync(candidate)) return candidate;
  }
  throw new StackError('nginx is not installed; run `npm run setup` (or `apt-get install nginx`)');
}

export interface NginxSettings {
  layout: StackLayout;
  listenAddress: string;
  httpPort: number;
  opsPort: number;
  gatePort: number;
  orthancPort: number;
  orthancBasicAuth: string;
  rendererDist: string;
  corsOrigins: readonly string[];
  /** The address clients reach nginx at; Orthanc's retrieve URLs point there. http://<listen>:<port> by default. */
  publicBaseUrl?: string;
  /** Worker and pool sizes; derived from this machine's cores when left out. */
  budget?: ConnectionBudget;
  /** HTTPS on this port of listenAddress as well, with these files (tls.ts). */
  tls?: TlsFiles & { port: number };
  /** nginx's DICOMweb cache sizes (stack config dicomwebCache); defaults as in the stack config. */
  cache?: { maxSize: string; keysZone: string; inactive: string; valid: string };
}

export const DEFAULT_NGINX_CACHE = { maxSize: '1g', keysZone: '16m', inactive: '60m', valid: '24h' } as const;

/** nginx's worker user: as root, workers drop to nobody and own only their temp directories. */
function workerUser(): { directive: string; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { directive: '' };
  return { directive: 'user nobody nogroup;', uid: 65534, gid: 65534 };
}

export function renderNginxConfiguration(settings: NginxSettings): string {
  const { layout } = settings;
  const budget = settings.budget ?? connectionBudget({ connections: {} });
  const appBuilt = existsSync(path.join(settings.rendererDist, 'index.html'));
  const appLocation = renderTemplate(
    readFileSync(appBuilt ? appLocationTemplateFile : appMissingLocationTemplateFile, 'utf8'),
    { RENDERER_DIST: settings.rendererDist, SNIPPETS_DIR: snippetsDir },
  );
  const publicBase = new URL(settings.publicBaseUrl ?? `http://${settings.listenAddress}:${settings.httpPort}`);
  return renderTemplate(readFileSync(nginxTemplateFile, 'utf8'), {
    PUBLIC_HOST: publicBase.host,
    PUBLIC_PROTO: publicBase.protocol.replace(/:$/, ''),
    USER_DIRECTIVE: workerUser().directive,
    WORKER_PROCESSES: budget.nginxWorkers,
    WORKER_CONNECTIONS: budget.nginxWorkerConnections,
    WORKER_RLIMIT_NOFILE: budget.nginxWorkerOpenFiles,
    GATE_KEEPALIVE: budget.gateKeepalive,
    GATE_KEEPALIVE_TIMEOUT: budget.gateKeepaliveTimeoutSeconds,
    STATE_DIR: layout.nginx.dir,
    LOG_DIR: layout.logs,
    MIME_TYPES: '/etc/nginx/mime.types',
    LISTEN_ADDRESS: settings.listenAddress,
    HTTP_PORT: settings.httpPort,
    TLS_SERVER: tlsServerDirectives(settings.tls && { ...settings.tls, listenAddress: settings.listenAddress }),
    OPS_PORT: settings.opsPort,
    GATE_PORT: settings.gatePort,
    ORTHANC_PORT: settings.orthancPort,
    ORTHANC_BASIC_AUTH: settings.orthancBasicAuth,
    GATE_PROXY_SECRET: ensureProxySecret(layout),
    GATE_OPS_SOCKET: layout.gate.opsSocket,
    APP_LOCATION: appLocation,
    SNIPPETS_DIR: snippetsDir,
    CORS_ORIGIN_MAP: corsOriginMap(settings.corsOrigins),
    CACHE_DIR: layout.nginx.cache,
    CACHE_MAX_SIZE: (settings.cache ?? DEFAULT_NGINX_CACHE).maxSize,
    CACHE_KEYS_ZONE: (settings.cache ?? DEFAULT_NGINX_CACHE).keysZone,
    CACHE_INACTIVE: (settings.cache ?? DEFAULT_NGINX_CACHE).inactive,
    CACHE_VALID: (settings.cache ?? DEFAULT_NGINX_CACHE).valid,
  });
}

export async function writeNginxConfiguration(settings: NginxSettings, nginx: string): Promise<void> {
  const { layout } = settings;
  const user = workerUser();
  for (const full of [...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((dir) => path.join(layout.nginx.tmp, dir)), layout.nginx.cache]) {
    // The cache holds Orthanc's answers (patient data): nginx's worker alone may read it.
    mkdirSync(full, { recursive: true });
    if (full === layout.nginx.cache) chmodSync(full, 0o700);
    if (user.uid !== undefined && user.gid !== undefined) chownSync(full, user.uid, user.gid);
  }
  const text = renderNginxConfiguration(settings);
  // What was rendered must keep the budget: nginx keeps no connection to Orthanc open and Orthanc
  // runs the threads the budget gave it (its configuration is written first).
  if (settings.budget && existsSync(layout.orthanc.configFile)) {
    const orthanc = JSON.parse(readFileSync(layout.orthanc.configFile, 'utf8')) as { KeepAlive?: unknown; HttpThreadsCount?: unknown };
    assertConnectionBudget(renderedConnectionProblems(text, orthanc, settings.budget));
  }
  writeFileSync(layout.nginx.configFile, text, { mode: 0o600 });
  try {
    await execFileAsync(nginx, ['-t', '-q', '-p', layout.nginx.dir, '-c', layout.nginx.configFile, '-e', layout.nginx.errorLog]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new StackError(`the rendered nginx configuration ${layout.nginx.configFile} is invalid:\n${stderr.trim()}`);
  }
}

export async function startNginx(settings: NginxSettings, nginx: string): Promise<StartedProcess> {
  const { layout } = settings;
  const started = startDetached(
    nginx,
    ['-p', layout.nginx.dir, '-c', layout.nginx.configFile, '-e', layout.nginx.errorLog, '-g', 'daemon off;'],
    { cwd: layout.nginx.dir, env: { PATH: '/usr/sbin:/usr/bin:/bin' }, log: layout.nginx.log, marker: layout.nginx.configFile },
  );
  await waitUntilReady(
    'nginx',
    started,
    async () => {
      const response = await fetch(`http://${settings.listenAddress}:${settings.httpPort}/api/healthz`, {
        signal: AbortSignal.timeout(1000),
      });
      await response.arrayBuffer();
      return response.ok;
    },
    30_000,
  );
  return started;
}
