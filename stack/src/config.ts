import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { StackError } from './errors.ts';

/** The repository root: the stack runs from the checkout it lives in. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected an integer port')
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');

/** A DICOM AE title: 1-16 characters of printable ASCII without backslash, not only spaces. */
const aeTitle = z
  .string()
  .regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, { error: 'expected an AE title of 1-16 printable ASCII characters without "\\"' })
  .refine((value) => value.trim() !== '', { error: 'expected an AE title that is not blank' });

/** An nginx size: a number with an optional k, m or g. */
const nginxSize = z.string().regex(/^[1-9][0-9]{0,8}[kmg]?$/i, { error: 'expected an nginx size such as 512m or 10g' });
/** An nginx duration: a number with s, m, h or d. */
const nginxDuration = z.string().regex(/^[1-9][0-9]{0,8}[smhd]$/, { error: 'expected a duration such as 30s, 60m or 24h' });

const StackConfigSchema = z
  .object({
    /** Where the stack keeps its state: rendered configs, databases, logs, stack.json. */
    stateDir: z.string().min(1).default('.stack'),
    /** Address nginx publishes on. Loopback by default; the other services are always loopback. */
    listenAddress: z.ipv4({ error: 'expected an IPv4 address' }).default('127.0.0.1'),
    ports: z
      .object({
        http: port.default(8080),
        gate: port.default(3001),
        orthanc: port.default(8042),
        ops: port.default(8081),
      })
      .strict()
      .prefault({}),
    /** The Debian testing root that holds Orthanc >= 1.13 (built by `npm run setup`). */
    orthancRoot: z.string().min(1).default(path.join(homedir(), '.cache/reading-station/orthanc-root')),
    /** Load the generated HTJ2K demo studies and create demo users on first start. */
    demo: z.boolean().default(true),
    /** Built renderer served at `/` when present. */
    rendererDist: z.string().min(1).default('renderer/dist'),
    /** Where generated demo DICOM is cached between stacks (regenerated when its version changes). */
    demoCacheDir: z.string().min(1).default(path.join(homedir(), '.cache/reading-station/demo-dicom')),
    /** Origins of desktop apps allowed to call the API cross-origin (the Electron app's scheme). */
    corsOrigins: z.array(z.string()).default(['app://reading-station']),
    /**
     * The address workstations reach nginx at (scheme and host, e.g. https://pacs.hospital.example):
     * Orthanc's retrieve URLs in metadata point there, whatever Host header a client sends.
     * Default: http://<listenAddress>:<ports.http>.
     */
    publicBaseUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://pacs.hospital.example' })
      .refine((value) => ['', '/'].includes(new URL(value).pathname) && new URL(value).search === '', {
        error: 'expected a scheme and host only, without a path or query',
      })
      .optional(),
    /**
     * HTTPS beside HTTP (docs/security.md, "Transport"): nginx serves the same locations on
     * `tls.port` with TLS 1.2/1.3, and HTTPS answers carry HSTS. Without certificateFile and
     * keyFile the stack makes a self-signed certificate for listenAddress and localhost in
     * `<stateDir>/tls/` (once). stack.json names the URL (`httpsUrl`) and the certificate.
     */
    tls: z
      .object({
        enabled: z.preprocess((value) => (value === '1' || value === 'true' ? true : value === '0' || value === 'false' ? false : value), z.boolean({ error: 'expected true or false (RS_TLS: 1 or 0)' })).default(false),
        port: port.default(8443),
        certificateFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
      })
      .strict()
      .refine((tls) => (tls.certificateFile === undefined) === (tls.keyFile === undefined), { error: 'name both certificateFile and keyFile, or neither (for a self-signed pair)' })
      .prefault({}),
    /** Access-token lifetime handed to the gate. */
    accessTokenTtlSeconds: z.coerce.number().int().min(10).max(3600).default(300),
    /**
     * The connection budget between nginx, the gate and Orthanc (docs/connections.md). A key left
     * out is derived from the machine's cores; hospital IT sets one to override it, and `stack:up`
     * refuses a combination that breaks the budget (connection-budget.ts).
     */
    connections: z
      .object({
        /** Requests in flight at once through nginx that the stack is sized for (viewers × parallel loads). */
        concurrentRequests: z.coerce.number().int().min(1).max(100_000).optional(),
        /** nginx `worker_processes`; default: one per core. */
        nginxWorkers: z.coerce.number().int().min(1).max(64).optional(),
        /** nginx `worker_connections`, per worker. */
        nginxWorkerConnections: z.coerce.number().int().min(64).max(1_000_000).optional(),
        /** Idle keep-alive connections each nginx worker keeps to the gate. */
        gateKeepalive: z.coerce.number().int().min(1).max(10_000).optional(),
        /** Orthanc `HttpThreadsCount`: requests Orthanc works on at once. */
        orthancHttpThreads: z.coerce.number().int().min(1).max(10_000).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Orthanc's DICOM server: the port modalities send to, the AE title they call, and the only
     * modalities (calling AE title + IP address) whose C-ECHO and C-STORE it accepts.
     */
    dicom: z
      .object({
        port: port.default(4242),
        aet: aeTitle.default('READING_STATION'),
        modalities: z
          .array(z.object({ aet: aeTitle, host: z.ipv4({ error: 'expected an IPv4 address (Orthanc checks modality hosts by IP)' }) }).strict())
          .default([{ aet: 'DEMO_MODALITY', host: '127.0.0.1' }]),
      })
      .strict()
      .prefault({}),
    /**
     * nginx's DICOMweb cache (docs/operations.md, "The DICOMweb cache"), in `<stateDir>/nginx/cache`:
     * sizes in nginx's units (`512m`, `10g`; keysZone holds ~8,000 keys a megabyte), durations as
     * `60m`, `24h`. revisionPollMs: how often the gate checks the watched studies against Orthanc,
     * the longest a changed study's cached answer can still be served.
     */
    dicomwebCache: z
      .object({
        enabled: z.boolean().default(true),
        maxSize: nginxSize.default('1g'),
        keysZone: nginxSize.default('16m'),
        inactive: nginxDuration.default('60m'),
        valid: nginxDuration.default('24h'),
        revisionPollMs: z.coerce.number().int().min(50).max(60_000).default(250),
      })
      .strict()
      .prefault({}),
    /** Seconds without a new instance before Orthanc calls a study stable and the gate records it. */
    orthancStableAgeSeconds: z.coerce.number().int().min(1).max(3600).default(3),
  })
  .strict();

export type StackConfig = z.infer<typeof StackConfigSchema> & { configFile?: string };

/** Which environment variable feeds which key, so errors can name what the operator set. */
const envKeys = {
  RS_STACK_DIR: ['stateDir'],
  RS_LISTEN_ADDRESS: ['listenAddress'],
  RS_PUBLIC_BASE_URL: ['publicBaseUrl'],
  RS_HTTP_PORT: ['ports', 'http'],
  RS_TLS: ['tls', 'enabled'],
  RS_HTTPS_PORT: ['tls', 'port'],
  RS_TLS_CERTIFICATE: ['tls', 'certificateFile'],
  RS_TLS_KEY: ['tls', 'keyFile'],
  RS_GATE_PORT: ['ports', 'gate'],
  RS_ORTHANC_PORT: ['ports', 'orthanc'],
  RS_OPS_PORT: ['ports', 'ops'],
  READING_STATION_ORTHANC_ROOT: ['orthancRoot'],
  RS_RENDERER_DIST: ['rendererDist'],
  READING_STATION_DEMO_CACHE: ['demoCacheDir'],
  RS_ACCESS_TOKEN_TTL: ['accessTokenTtlSeconds'],
  RS_CONCURRENT_REQUESTS: ['connections', 'concurrentRequests'],
  RS_NGINX_WORKERS: ['connections', 'nginxWorkers'],
  RS_NGINX_WORKER_CONNECTIONS: ['connections', 'nginxWorkerConnections'],
  RS_GATE_KEEPALIVE: ['connections', 'gateKeepalive'],
  RS_ORTHANC_HTTP_THREADS: ['connections', 'orthancHttpThreads'],
  RS_DICOM_PORT: ['dicom', 'port'],
  RS_DICOM_AET: ['dicom', 'aet'],
  RS_ORTHANC_STABLE_AGE: ['orthancStableAgeSeconds'],
  RS_DICOMWEB_CACHE_MAX_SIZE: ['dicomwebCache', 'maxSize'],
  RS_DICOMWEB_CACHE_INACTIVE: ['dicomwebCache', 'inactive'],
} as const satisfies Record<string, readonly string[]>;

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new StackError(`cannot read the stack config file ${file} (${code}); fix the path or its permissions`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StackError(`the stack config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StackError(`the stack config file ${file} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node[key] = typeof next === 'object' && next !== null ? { ...(next as object) } : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

/**
 * Stack settings from an optional JSON file (`--config` or RS_STACK_CONFIG) and environment
 * variables, which win. Relative paths are taken from the repository root.
 */
export function loadStackConfig(options: { configFile?: string; env?: NodeJS.ProcessEnv } = {}): StackConfig {
  const env = options.env ?? process.env;
  const configFile = options.configFile ?? env.RS_STACK_CONFIG;
  const raw: Record<string, unknown> = configFile ? readConfigFile(path.resolve(configFile)) : {};
  const sources = new Map<string, string>();
  for (const [name, keys] of Object.entries(envKeys)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, keys, value);
    sources.set(keys.join('.'), name);
  }
  const result = StackConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const from = sources.get(key);
      return `stack config: ${key}: ${issue.message}${from ? ` (from ${from})` : configFile ? ` (in ${configFile})` : ''}`;
    });
    throw new StackError(lines.join('\n'));
  }
  const config = result.data;
  const resolve = (p: string): string => path.resolve(repoRoot, p);
  return {
    ...config,
    stateDir: resolve(config.stateDir),
    orthancRoot: resolve(config.orthancRoot),
    rendererDist: resolve(config.rendererDist),
    demoCacheDir: resolve(config.demoCacheDir),
    ...(configFile ? { configFile: path.resolve(configFile) } : {}),
  };
}
