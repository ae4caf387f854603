import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

// Configuration is read once at boot (file, then environment overrides), validated here and
// passed down; nothing else in the server reads process.env.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_SQLITE_FILENAME = 'data/reading-station.sqlite';

const PORT_EXPECTATION = 'expected an integer between 1 and 65535';
const HTTP_URL_EXPECTATION = 'expected an absolute http:// or https:// URL';

function expecting(message: string) {
  return { error: message };
}

const httpUrl = z
  .string(expecting(HTTP_URL_EXPECTATION))
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, expecting(HTTP_URL_EXPECTATION));

const listenSchema = z.strictObject(
  {
    host: z.string(expecting('expected a host name or IP address')).min(1, expecting('expected a host name or IP address')).default('127.0.0.1'),
    port: z
      .int(expecting(PORT_EXPECTATION))
      .min(1, expecting(PORT_EXPECTATION))
      .max(65535, expecting(PORT_EXPECTATION))
      .default(3001),
  },
  expecting('expected an object with host and port'),
);

const sqliteSchema = z.strictObject({
  client: z.literal('sqlite'),
  filename: z
    .string(expecting('expected a file path (or ":memory:")'))
    .min(1, expecting('expected a file path (or ":memory:")'))
    .default(DEFAULT_SQLITE_FILENAME)
    // Resolved once here so logs and every later open agree on the same file.
    .transform((filename) => (filename === ':memory:' ? filename : path.resolve(filename))),
});

const postgresSchema = z.strictObject({
  client: z.literal('postgres'),
  connectionString: z
    .string(expecting('expected a postgres:// or postgresql:// connection URL'))
    .regex(/^postgres(ql)?:\/\/\S+$/, expecting('expected a postgres:// or postgresql:// connection URL')),
});

const databaseSchema = z.discriminatedUnion('client', [sqliteSchema, postgresSchema], expecting('expected client "sqlite" or "postgres"'));

const ipOrCidr = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], expecting('expected an IP address or CIDR range'));

const seconds = (min: number, max: number) => {
  const expectation = `expected an integer number of seconds between ${min} and ${max}`;
  return z.int(expecting(expectation)).min(min, expecting(expectation)).max(max, expecting(expectation));
};

export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const;

const authSchema = z.strictObject({
  // Access tokens: short-lived JWTs, signed with the private key in signingKeyFile (PKCS#8 PEM).
  // Without a key file the gate makes one at start: sessions then survive a restart only through
  // their refresh tokens, and several gate processes would not accept each other's tokens.
  issuer: z.string().min(1).default('reading-station'),
  audience: z.string().min(1).default('reading-station-dicomweb'),
  algorithm: z.enum(ACCESS_TOKEN_ALGORITHMS, expecting(`expected one of ${ACCESS_TOKEN_ALGORITHMS.join(', ')}`)).default('ES256'),
  signingKeyFile: z.string().min(1).optional(),
  accessTokenTtlSeconds: seconds(10, 3600).default(300),
  // A reading shift; each refresh rotates the token and restarts this clock.
  refreshTokenTtlSeconds: seconds(60, 30 * 24 * 3600).default(8 * 3600),
  // The refresh cookie's Secure flag. Browsers accept Secure cookies from http://localhost too.
  secureCookies: z.boolean().default(true),
  lockout: z
    .strictObject({
      maxFailuresPerAccount: z.int().min(1).default(5),
      maxFailuresPerAddress: z.int().min(1).default(50),
      windowSeconds: seconds(1, 86400).default(900),
      lockoutSeconds: seconds(1, 86400).default(900),
    })
    .prefault({}),
  // A hospital identity provider whose access tokens the gate also accepts (verified against its
  // JWKS). The account must exist here: studies are related to local users.
  idp: z
    .strictObject({
      jwksUrl: httpUrl,
      issuer: z.string().min(1),
      audience: z.string().min(1),
      algorithms: z.array(z.enum(ACCESS_TOKEN_ALGORITHMS)).min(1).default(['RS256']),
      roleClaim: z.string().min(1).default('role'),
      usernameClaim: z.string().min(1).default('preferred_username'),
    })
    .optional(),
});

export const configSchema = z.strictObject({
  auth: authSchema.prefault({}),
  listen: listenSchema.prefault({}),
  database: databaseSchema.prefault({ client: 'sqlite' }),
  // A URL that nginx answers with Orthanc's /system through an ops-only location, so readiness
  // proves the whole path nginx → Orthanc. Optional so the admin CLI runs without it; the server
  // then reports itself not ready.
  orthancHealthUrl: httpUrl.optional(),
  // Peers whose X-Real-IP header is believed (nginx). Anyone else's address is taken from the socket.
  trustedProxies: z.array(ipOrCidr, expecting('expected a list of IP addresses or CIDR ranges')).default(['127.0.0.1', '::1']),
  // The origin users reach (nginx); used to build public URLs. Unset means "derive from the request".
  publicBaseUrl: httpUrl.optional(),
  logLevel: z.enum(LOG_LEVELS, expecting(`expected one of ${LOG_LEVELS.join(', ')}`)).default('info'),
});

export type Config = z.output<typeof configSchema>;
export type DatabaseConfig = Config['database'];
export type AuthConfig = Config['auth'];
export type ConfigInput = z.input<typeof configSchema>;

/** A configuration that cannot be used; `issues` has one line per bad key, `message` joins them. */
export class ConfigError extends Error {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(issues.join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  argv?: readonly string[];
  env?: Environment;
}

// Values that must never be echoed back in an error line (they may carry a password).
const SECRET_PATHS = new Set(['database.connectionString']);

type RawObject = Record<string, unknown>;

export function loadConfig({ argv = [], env = {} }: LoadConfigOptions = {}): Config {
  const sources = new Map<string, string>();
  const configFile = configFileFrom(argv) ?? nonEmpty(env.RS_CONFIG_FILE);
  const raw = configFile === undefined ? {} : readConfigFile(configFile);
  if (configFile !== undefined) {
    for (const leaf of keyPaths(raw)) sources.set(leaf, `in ${configFile}`);
  }
  applyEnvironment(raw, env, sources);

  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(describeIssues(result.error.issues, raw, sources));
}

function configFileFrom(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--config') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new ConfigError(['config: --config needs a file path']);
      return value;
    }
    if (arg?.startsWith('--config=')) {
      const value = arg.slice('--config='.length);
      if (value === '') throw new ConfigError(['config: --config needs a file path']);
      return value;
    }
  }
  return undefined;
}

function readConfigFile(file: string): RawObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`config: cannot read config file ${file}: ${fileErrorReason(error)}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`config: config file ${file} is not valid JSON: ${reason}`]);
  }
  if (!isObject(parsed)) throw new ConfigError([`config: config file ${file} must contain a JSON object`]);
  return parsed;
}

function fileErrorReason(error: unknown): string {
  const code = isObject(error) && typeof error.code === 'string' ? error.code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function applyEnvironment(raw: RawObject, env: Environment, sources: Map<string, string>): void {
  const set = (keyPath: string, variable: string, value: unknown) => {
    setPath(raw, keyPath.split('.'), value);
    sources.set(keyPath, `from ${variable}`);
  };
  const host = nonEmpty(env.RS_HOST);
  if (host !== undefined) set('listen.host', 'RS_HOST', host);
  const port = nonEmpty(env.RS_PORT);
  // Digits become a number; anything else stays a string so the error shows what was given.
  if (port !== undefined) set('listen.port', 'RS_PORT', /^\d+$/.test(port) ? Number(port) : port);
  const ttl = nonEmpty(env.RS_ACCESS_TOKEN_TTL);
  if (ttl !== undefined) set('auth.accessTokenTtlSeconds', 'RS_ACCESS_TOKEN_TTL', /^\d+$/.test(ttl) ? Number(ttl) : ttl);
  const keyFile = nonEmpty(env.RS_SIGNING_KEY_FILE);
  if (keyFile !== undefined) set('auth.signingKeyFile', 'RS_SIGNING_KEY_FILE', keyFile);
  const logLevel = nonEmpty(env.RS_LOG_LEVEL);
  if (logLevel !== undefined) set('logLevel', 'RS_LOG_LEVEL', logLevel);
  const healthUrl = nonEmpty(env.RS_ORTHANC_HEALTH_URL);
  if (healthUrl !== undefined) set('orthancHealthUrl', 'RS_ORTHANC_HEALTH_URL', healthUrl);
  const publicBaseUrl = nonEmpty(env.RS_PUBLIC_BASE_URL);
  if (publicBaseUrl !== undefined) set('publicBaseUrl', 'RS_PUBLIC_BASE_URL', publicBaseUrl);
  const proxies = nonEmpty(env.RS_TRUSTED_PROXIES);
  if (proxies !== undefined) {
    const list = proxies.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
    raw.trustedProxies = list;
    for (const key of [...sources.keys()]) if (key.startsWith('trustedProxies.')) sources.delete(key);
    list.forEach((_, index) => sources.set(`trustedProxies.${index}`, 'from RS_TRUSTED_PROXIES'));
    sources.set('trustedProxies', 'from RS_TRUSTED_PROXIES');
  }
  applyDatabaseEnvironment(raw, env, sources);
}

function applyDatabaseEnvironment(raw: RawObject, env: Environment, sources: Map<string, string>): void {
  const client = nonEmpty(env.RS_DB_CLIENT);
  const filename = nonEmpty(env.RS_DB_FILENAME);
  const url = nonEmpty(env.RS_DB_URL);
  if (client === undefined && filename === undefined && url === undefined) return;

  const fromFile = isObject(raw.database) ? raw.database : undefined;
  const effectiveClient = client ?? fromFile?.client ?? (url !== undefined ? 'postgres' : 'sqlite');
  // Switching client from the environment replaces the file's section: its keys belong to the other dialect.
  const database: RawObject = fromFile !== undefined && fromFile.client === effectiveClient ? { ...fromFile } : { client: effectiveClient };
  if (database !== fromFile) {
    for (const key of [...sources.keys()]) if (key.startsWith('database.')) sources.delete(key);
  }
  if (client !== undefined) sources.set('database.client', 'from RS_DB_CLIENT');
  // Only the variable that belongs to the chosen client applies, so one environment can carry both.
  if (effectiveClient === 'sqlite' && filename !== undefined) {
    database.filename = filename;
    sources.set('database.filename', 'from RS_DB_FILENAME');
  }
  if (effectiveClient === 'postgres' && url !== undefined) {
    database.connectionString = url;
    sources.set('database.connectionString', 'from RS_DB_URL');
  }
  raw.database = database;
}

function describeIssues(issues: readonly z.core.$ZodIssue[], raw: RawObject, sources: Map<string, string>): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  const add = (keyPath: string, text: string) => {
    // One line per key: the first complaint about a key is the one that matters.
    if (seen.has(keyPath)) return;
    seen.add(keyPath);
    lines.push(`config: ${keyPath === '' ? '(root)' : keyPath}: ${text}`);
  };
  for (const issue of issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...base, key].join('.'), `unknown key${sourceSuffix([...base, key].join('.'), sources)}`);
      continue;
    }
    const keyPath = base.join('.');
    add(keyPath, `${issue.message} ${describeValue(keyPath, getPath(raw, base), sources)}`);
  }
  return lines;
}

function describeValue(keyPath: string, value: unknown, sources: Map<string, string>): string {
  if (value === undefined) return '(missing)';
  const suffix = sourceSuffix(keyPath, sources);
  if (SECRET_PATHS.has(keyPath)) return `(value hidden${suffix})`;
  let shown = JSON.stringify(value) ?? String(value);
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return `(got ${shown}${suffix})`;
}

function sourceSuffix(keyPath: string, sources: Map<string, string>): string {
  const source = sources.get(keyPath);
  return source === undefined ? '' : ` ${source}`;
}

function keyPaths(value: unknown, prefix: string[] = []): string[] {
  if (isObject(value)) return Object.entries(value).flatMap(([key, child]) => [[...prefix, key].join('.'), ...keyPaths(child, [...prefix, key])]);
  if (Array.isArray(value)) return value.flatMap((child, index) => [[...prefix, String(index)].join('.'), ...keyPaths(child, [...prefix, String(index)])]);
  return [];
}

function getPath(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (isObject(current)) current = current[key];
    else if (Array.isArray(current)) current = current[Number(key)];
    else return undefined;
  }
  return current;
}

function setPath(target: RawObject, keys: readonly string[], value: unknown): void {
  let current = target;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (isObject(next)) current = next;
    else {
      const created: RawObject = {};
      current[key] = created;
      current = created;
    }
  }
  const last = keys.at(-1);
  if (last !== undefined) current[last] = value;
}

function isObject(value: unknown): value is RawObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
