import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { configSchema, type Config } from './config-schema.ts';

// Configuration is read once at boot: an optional JSON file, then environment variables (one
// table below), then the schema's defaults. Every bad key gets its own line naming where its value
// came from. Nothing else in the server reads process.env.

/** How a variable's text becomes a value. */
export type EnvironmentParse = 'text' | 'integer' | 'list';

export interface EnvironmentVariable {
  readonly name: string;
  /** The key it sets, as a dot path into the configuration. */
  readonly key: string;
  readonly parse: EnvironmentParse;
  /** A key of one database client's section: applied only when that client is chosen. */
  readonly client?: 'sqlite' | 'postgres';
}

/** Names the JSON file (like `--config`, which wins); not a key itself. */
export const CONFIG_FILE_VARIABLE = 'RS_CONFIG_FILE';

/**
 * Every environment variable the server reads, and the key it overrides. The loader applies this
 * table and nothing else; the tests check each row against the schema and the README.
 */
export const CONFIG_ENVIRONMENT: readonly EnvironmentVariable[] = [
  { name: 'RS_HOST', key: 'listen.host', parse: 'text' },
  { name: 'RS_PORT', key: 'listen.port', parse: 'integer' },
  { name: 'RS_DB_CLIENT', key: 'database.client', parse: 'text' },
  { name: 'RS_DB_FILENAME', key: 'database.filename', parse: 'text', client: 'sqlite' },
  // Alone (no RS_DB_CLIENT, no database section in the file) it also chooses postgres.
  { name: 'RS_DB_URL', key: 'database.connectionString', parse: 'text', client: 'postgres' },
  { name: 'RS_ORTHANC_HEALTH_URL', key: 'orthancHealthUrl', parse: 'text' },
  { name: 'RS_TRUSTED_PROXIES', key: 'trustedProxies', parse: 'list' },
  { name: 'RS_PROXY_SECRET', key: 'proxySecret', parse: 'text' },
  { name: 'RS_OPS_SOCKET', key: 'listen.opsSocket', parse: 'text' },
  { name: 'RS_PUBLIC_BASE_URL', key: 'publicBaseUrl', parse: 'text' },
  { name: 'RS_LOG_LEVEL', key: 'logLevel', parse: 'text' },
  { name: 'RS_SIGNING_KEY_FILE', key: 'auth.signingKeyFile', parse: 'text' },
  { name: 'RS_ACCESS_TOKEN_TTL', key: 'auth.accessTokenTtlSeconds', parse: 'integer' },
  { name: 'RS_AUDIT_KEY_FILE', key: 'audit.keyFile', parse: 'text' },
  { name: 'RS_AUDIT_ANCHOR_FILE', key: 'audit.anchorFile', parse: 'text' },
  { name: 'RS_AUDIT_SERVED_LOG_FILE', key: 'audit.servedLogFile', parse: 'text' },
  { name: 'RS_AUDIT_SYSLOG_HOST', key: 'audit.syslog.host', parse: 'text' },
  { name: 'RS_AUDIT_SYSLOG_PORT', key: 'audit.syslog.port', parse: 'integer' },
  { name: 'RS_AUDIT_SYSLOG_CA_FILE', key: 'audit.syslog.caFile', parse: 'text' },
  { name: 'RS_AUDIT_SYSLOG_CERT_FILE', key: 'audit.syslog.certFile', parse: 'text' },
  { name: 'RS_AUDIT_SYSLOG_KEY_FILE', key: 'audit.syslog.keyFile', parse: 'text' },
  { name: 'RS_AUDIT_SYSLOG_SERVER_NAME', key: 'audit.syslog.serverName', parse: 'text' },
  { name: 'RS_AUDIT_SYSLOG_APP_NAME', key: 'audit.syslog.appName', parse: 'text' },
  { name: 'RS_AUDIT_SYSLOG_HOSTNAME', key: 'audit.syslog.hostname', parse: 'text' },
  { name: 'RS_AUDIT_SYSLOG_ENTERPRISE_ID', key: 'audit.syslog.enterpriseId', parse: 'integer' },
  { name: 'RS_AUDIT_SYSLOG_BATCH_SIZE', key: 'audit.syslog.batchSize', parse: 'integer' },
  { name: 'RS_AUDIT_SYSLOG_MAX_BACKOFF', key: 'audit.syslog.maxBackoffSeconds', parse: 'integer' },
];

const PARSERS: Record<EnvironmentParse, (text: string) => unknown> = {
  text: (text) => text,
  // Digits become a number; anything else stays a string so the error shows what was given.
  integer: (text) => (/^\d+$/.test(text) ? Number(text) : text),
  // Comma-separated; blanks around and between entries are dropped.
  list: (text) =>
    text
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
};

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
const SECRET_PATHS = new Set(['database.connectionString', 'proxySecret']);

type RawObject = Record<string, unknown>;

/** Where each key's value came from (`in <file>`, `from <VARIABLE>`), for the error lines. */
type Sources = Map<string, string>;

export function loadConfig({ argv = [], env = {} }: LoadConfigOptions = {}): Config {
  const sources: Sources = new Map();
  const configFile = configFileFrom(argv) ?? nonEmpty(env[CONFIG_FILE_VARIABLE]);
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

interface GivenVariable {
  variable: EnvironmentVariable;
  value: unknown;
}

/** Overrides `raw` with every variable of CONFIG_ENVIRONMENT that is set (blank counts as unset). */
function applyEnvironment(raw: RawObject, env: Environment, sources: Sources): void {
  const given: GivenVariable[] = [];
  for (const variable of CONFIG_ENVIRONMENT) {
    const text = nonEmpty(env[variable.name]);
    if (text !== undefined) given.push({ variable, value: PARSERS[variable.parse](text) });
  }
  const client = chooseDatabaseSection(raw, given, sources);
  for (const { variable, value } of given) {
    // Only the variables of the chosen client apply, so one environment can carry both.
    if (variable.client !== undefined && variable.client !== client) continue;
    setPath(raw, variable.key.split('.'), value);
    // The variable replaces the key whole (a list too): what the file said under it is gone.
    for (const key of [...sources.keys()]) if (key === variable.key || key.startsWith(`${variable.key}.`)) sources.delete(key);
    sources.set(variable.key, `from ${variable.name}`);
    if (Array.isArray(value)) value.forEach((_, index) => sources.set(`${variable.key}.${index}`, `from ${variable.name}`));
  }
}

/**
 * When any database variable is set, decides which client's section the environment fills:
 * RS_DB_CLIENT, else the file's client, else postgres if a postgres-only variable is set, else
 * sqlite. Switching client from the environment replaces the file's section, whose keys belong to
 * the other dialect. Returns the chosen client (undefined when no database variable is set).
 */
function chooseDatabaseSection(raw: RawObject, given: readonly GivenVariable[], sources: Sources): unknown {
  const database = given.filter(({ variable }) => variable.key.startsWith('database.'));
  if (database.length === 0) return undefined;
  const fromFile = isObject(raw.database) ? raw.database : undefined;
  const client =
    database.find(({ variable }) => variable.key === 'database.client')?.value ??
    fromFile?.client ??
    (database.some(({ variable }) => variable.client === 'postgres') ? 'postgres' : 'sqlite');
  if (fromFile === undefined || fromFile.client !== client) {
    raw.database = { client };
    for (const key of [...sources.keys()]) if (key.startsWith('database.')) sources.delete(key);
  }
  return client;
}

function describeIssues(issues: readonly z.core.$ZodIssue[], raw: RawObject, sources: Sources): string[] {
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

function describeValue(keyPath: string, value: unknown, sources: Sources): string {
  if (value === undefined) return '(missing)';
  const suffix = sourceSuffix(keyPath, sources);
  if (SECRET_PATHS.has(keyPath)) return `(value hidden${suffix})`;
  let shown = JSON.stringify(value) ?? String(value);
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return `(got ${shown}${suffix})`;
}

function sourceSuffix(keyPath: string, sources: Sources): string {
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
