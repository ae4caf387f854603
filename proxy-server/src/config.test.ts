import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from './config-schema.ts';
import { CONFIG_ENVIRONMENT, ConfigError, loadConfig } from './config.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rs-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeJson(name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults when nothing is configured', () => {
    const config = loadConfig({ argv: [], env: {} });
    expect(config).toEqual({
      auth: {
        issuer: 'reading-station',
        audience: 'reading-station-dicomweb',
        algorithm: 'ES256',
        accessTokenTtlSeconds: 300,
        refreshTokenTtlSeconds: 28800,
        sessionMaxSeconds: 43200,
        sessionIdleSeconds: 1800,
        rejectionAuditIntervalSeconds: 60,
        secureCookies: true,
        lockout: { maxFailuresPerAccount: 5, maxFailuresPerAddress: 50, maxFailuresPerAccountFromFlaggedAddress: 2, windowSeconds: 900, lockoutSeconds: 900 },
      },
      audit: { anchorIntervalSeconds: 60, servedLogPollMs: 1000 },
      listen: { host: '127.0.0.1', port: 3001 },
      database: { client: 'sqlite', filename: path.resolve('data/reading-station.sqlite') },
      dicomwebCache: { enabled: true, revisionPollMs: 1000, maxStudies: 2000, idleSeconds: 3600 },
      trustedProxies: ['127.0.0.1', '::1'],
      logLevel: 'info',
    });
    expect(config.orthancHealthUrl).toBeUndefined();
    expect(config.publicBaseUrl).toBeUndefined();
  });

  it('reads every supported environment variable', () => {
    const config = loadConfig({
      env: {
        RS_HOST: '0.0.0.0',
        RS_PORT: '4000',
        RS_DB_CLIENT: 'postgres',
        RS_DB_URL: 'postgres://rs:pw@db.example/rs',
        RS_LOG_LEVEL: 'debug',
        RS_ORTHANC_HEALTH_URL: 'http://127.0.0.1:8080/ops/orthanc/system',
        RS_TRUSTED_PROXIES: '10.0.0.5, 10.1.0.0/16,::1',
        RS_PUBLIC_BASE_URL: 'https://pacs.example',
        RS_ACCESS_TOKEN_TTL: '60',
        RS_SIGNING_KEY_FILE: '/etc/reading-station/signing-key.pem',
        RS_AUDIT_KEY_FILE: '/etc/reading-station/audit.key',
        RS_AUDIT_ANCHOR_FILE: '/var/lib/reading-station/audit-anchor.log',
        RS_AUDIT_SERVED_LOG_FILE: '/var/log/nginx/reading-station-served.log',
        RS_AUDIT_SYSLOG_HOST: 'atna.hospital.example',
        RS_AUDIT_SYSLOG_PORT: '6515',
        RS_AUDIT_SYSLOG_CA_FILE: '/etc/reading-station/atna-ca.pem',
        RS_AUDIT_SYSLOG_CERT_FILE: '/etc/reading-station/atna-client.pem',
        RS_AUDIT_SYSLOG_KEY_FILE: '/etc/reading-station/atna-client.key',
        RS_AUDIT_SYSLOG_SERVER_NAME: 'arr.hospital.example',
        RS_AUDIT_SYSLOG_APP_NAME: 'rs-gate',
        RS_AUDIT_SYSLOG_HOSTNAME: 'gate-1.hospital.example',
        RS_AUDIT_SYSLOG_ENTERPRISE_ID: '99999',
        RS_AUDIT_SYSLOG_BATCH_SIZE: '100',
        RS_AUDIT_SYSLOG_MAX_BACKOFF: '5',
      },
    });
    expect(config).toEqual({
      auth: {
        issuer: 'reading-station',
        audience: 'reading-station-dicomweb',
        algorithm: 'ES256',
        accessTokenTtlSeconds: 60,
        signingKeyFile: '/etc/reading-station/signing-key.pem',
        refreshTokenTtlSeconds: 28800,
        sessionMaxSeconds: 43200,
        sessionIdleSeconds: 1800,
        rejectionAuditIntervalSeconds: 60,
        secureCookies: true,
        lockout: { maxFailuresPerAccount: 5, maxFailuresPerAddress: 50, maxFailuresPerAccountFromFlaggedAddress: 2, windowSeconds: 900, lockoutSeconds: 900 },
      },
      audit: {
        keyFile: '/etc/reading-station/audit.key',
        anchorFile: '/var/lib/reading-station/audit-anchor.log',
        anchorIntervalSeconds: 60,
        servedLogFile: '/var/log/nginx/reading-station-served.log',
        servedLogPollMs: 1000,
        syslog: {
          host: 'atna.hospital.example',
          port: 6515,
          caFile: '/etc/reading-station/atna-ca.pem',
          certFile: '/etc/reading-station/atna-client.pem',
          keyFile: '/etc/reading-station/atna-client.key',
          serverName: 'arr.hospital.example',
          appName: 'rs-gate',
          hostname: 'gate-1.hospital.example',
          enterpriseId: 99999,
          batchSize: 100,
          pollIntervalMs: 1000,
          minBackoffMs: 1000,
          maxBackoffSeconds: 5,
          timeoutSeconds: 30,
          leaseSeconds: 30,
        },
      },
      listen: { host: '0.0.0.0', port: 4000 },
      database: { client: 'postgres', connectionString: 'postgres://rs:pw@db.example/rs' },
      dicomwebCache: { enabled: true, revisionPollMs: 1000, maxStudies: 2000, idleSeconds: 3600 },
      logLevel: 'debug',
      orthancHealthUrl: 'http://127.0.0.1:8080/ops/orthanc/system',
      trustedProxies: ['10.0.0.5', '10.1.0.0/16', '::1'],
      publicBaseUrl: 'https://pacs.example',
    });
  });

  it('refuses a symmetric or unknown signing algorithm and an out-of-range token lifetime', () => {
    expect(() => loadConfig({ env: { RS_ACCESS_TOKEN_TTL: '5' } })).toThrow(/auth\.accessTokenTtlSeconds: expected an integer number of seconds between 10 and 3600 \(got 5 from RS_ACCESS_TOKEN_TTL\)/);
    const dir = mkdtempSync(path.join(tmpdir(), 'rs-config-auth-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ auth: { algorithm: 'HS256' } }));
    expect(() => loadConfig({ argv: ['--config', file] })).toThrow(/auth\.algorithm: expected one of ES256, ES384, RS256, PS256, EdDSA/);
  });

  it('takes a client certificate for syslog only with its key, and header fields as RFC 5424 allows them', () => {
    expect(() => loadConfig({ env: { RS_AUDIT_SYSLOG_HOST: 'atna', RS_AUDIT_SYSLOG_CERT_FILE: '/etc/c.pem' } })).toThrow(
      /^config: audit\.syslog\.certFile: expected certFile and keyFile together \(got "\/etc\/c\.pem" from RS_AUDIT_SYSLOG_CERT_FILE\)$/,
    );
    expect(() => loadConfig({ env: { RS_AUDIT_SYSLOG_HOST: 'atna', RS_AUDIT_SYSLOG_KEY_FILE: '/etc/c.key' } })).toThrow(/audit\.syslog\.keyFile: expected certFile and keyFile together/);
    expect(() => loadConfig({ env: { RS_AUDIT_SYSLOG_HOST: 'atna', RS_AUDIT_SYSLOG_APP_NAME: 'reading station' } })).toThrow(
      /audit\.syslog\.appName: expected 1 to 48 printable ASCII characters without spaces/,
    );
    expect(() => loadConfig({ env: { RS_AUDIT_SYSLOG_HOST: 'atna', RS_AUDIT_SYSLOG_HOSTNAME: 'gäte' } })).toThrow(/audit\.syslog\.hostname: expected 1 to 255 printable ASCII/);
    expect(loadConfig({}).audit.syslog).toBeUndefined();
    expect(loadConfig({ env: { RS_AUDIT_SYSLOG_HOST: 'atna' } }).audit.syslog).toMatchObject({ host: 'atna', port: 6514, appName: 'reading-station', enterpriseId: 32473, batchSize: 500 });
  });

  it('treats empty environment variables as unset', () => {
    expect(loadConfig({ env: { RS_PORT: '', RS_HOST: '  ' } }).listen).toEqual({ host: '127.0.0.1', port: 3001 });
  });

  it('infers postgres when only RS_DB_URL is given', () => {
    expect(loadConfig({ env: { RS_DB_URL: 'postgresql://localhost/rs' } }).database).toEqual({
      client: 'postgres',
      connectionString: 'postgresql://localhost/rs',
    });
  });

  it('uses the sqlite file from RS_DB_FILENAME, resolved to an absolute path, and keeps :memory:', () => {
    expect(loadConfig({ env: { RS_DB_FILENAME: 'var/rs.sqlite' } }).database).toEqual({
      client: 'sqlite',
      filename: path.resolve('var/rs.sqlite'),
    });
    expect(loadConfig({ env: { RS_DB_FILENAME: ':memory:' } }).database).toEqual({ client: 'sqlite', filename: ':memory:' });
  });

  it('reads a JSON file named by --config, --config= or RS_CONFIG_FILE', () => {
    const file = writeJson('rs.json', {
      listen: { port: 3100 },
      database: { client: 'sqlite', filename: path.join(dir, 'rs.sqlite') },
      orthancHealthUrl: 'http://127.0.0.1:8080/ops/orthanc/system',
    });
    for (const options of [{ argv: ['--config', file] }, { argv: [`--config=${file}`] }, { env: { RS_CONFIG_FILE: file } }]) {
      const config = loadConfig(options);
      expect(config.listen).toEqual({ host: '127.0.0.1', port: 3100 });
      expect(config.database).toEqual({ client: 'sqlite', filename: path.join(dir, 'rs.sqlite') });
      expect(config.orthancHealthUrl).toBe('http://127.0.0.1:8080/ops/orthanc/system');
    }
  });

  it('lets the environment override the file, key by key', () => {
    const file = writeJson('rs.json', { listen: { host: '127.0.0.2', port: 3100 }, logLevel: 'warn' });
    const config = loadConfig({ argv: ['--config', file], env: { RS_PORT: '3200' } });
    expect(config.listen).toEqual({ host: '127.0.0.2', port: 3200 });
    expect(config.logLevel).toBe('warn');
  });

  it('replaces the file database section when the environment switches client', () => {
    const file = writeJson('rs.json', { database: { client: 'sqlite', filename: 'x.sqlite' } });
    const config = loadConfig({ argv: ['--config', file], env: { RS_DB_CLIENT: 'postgres', RS_DB_URL: 'postgres://h/rs' } });
    expect(config.database).toEqual({ client: 'postgres', connectionString: 'postgres://h/rs' });
  });

  it('ignores a database variable that belongs to the other client', () => {
    const config = loadConfig({ env: { RS_DB_CLIENT: 'sqlite', RS_DB_URL: 'postgres://h/rs', RS_DB_FILENAME: ':memory:' } });
    expect(config.database).toEqual({ client: 'sqlite', filename: ':memory:' });
  });

  it('reports one clear line per bad key, naming where the value came from', () => {
    const file = writeJson('rs.json', { listen: { host: '', prot: 1 }, trustedProxies: ['127.0.0.1', 'nope'] });
    const error = configErrorOf(() =>
      loadConfig({
        argv: ['--config', file],
        env: { RS_PORT: 'abc', RS_LOG_LEVEL: 'loud', RS_DB_CLIENT: 'mysql', RS_ORTHANC_HEALTH_URL: 'ftp://orthanc' },
      }),
    );
    expect(error.issues).toEqual(
      expect.arrayContaining([
        'config: listen.port: expected an integer between 1 and 65535 (got "abc" from RS_PORT)',
        `config: listen.host: expected a host name or IP address (got "" in ${file})`,
        `config: listen.prot: unknown key in ${file}`,
        'config: logLevel: expected one of fatal, error, warn, info, debug, trace, silent (got "loud" from RS_LOG_LEVEL)',
        'config: database.client: expected client "sqlite" or "postgres" (got "mysql" from RS_DB_CLIENT)',
        'config: orthancHealthUrl: expected an absolute http:// or https:// URL (got "ftp://orthanc" from RS_ORTHANC_HEALTH_URL)',
        `config: trustedProxies.1: expected an IP address or CIDR range (got "nope" in ${file})`,
      ]),
    );
    expect(error.issues).toHaveLength(7);
    expect(error.message).toBe(error.issues.join('\n'));
  });

  it('rejects ports out of range and non-integers', () => {
    expect(configErrorOf(() => loadConfig({ env: { RS_PORT: '70000' } })).issues).toEqual([
      'config: listen.port: expected an integer between 1 and 65535 (got 70000 from RS_PORT)',
    ]);
    const file = writeJson('rs.json', { listen: { port: 30.5 } });
    expect(configErrorOf(() => loadConfig({ argv: ['--config', file] })).issues).toEqual([
      `config: listen.port: expected an integer between 1 and 65535 (got 30.5 in ${file})`,
    ]);
  });

  it('never echoes a database connection string, which may carry a password', () => {
    const error = configErrorOf(() => loadConfig({ env: { RS_DB_CLIENT: 'postgres', RS_DB_URL: 'mysql://rs:s3cret@h/rs' } }));
    expect(error.issues).toEqual(['config: database.connectionString: expected a postgres:// or postgresql:// connection URL (value hidden from RS_DB_URL)']);
    expect(error.message).not.toContain('s3cret');
  });

  it('says which key is missing', () => {
    const file = writeJson('rs.json', { database: { client: 'postgres' } });
    expect(configErrorOf(() => loadConfig({ argv: ['--config', file] })).issues).toEqual([
      'config: database.connectionString: expected a postgres:// or postgresql:// connection URL (missing)',
    ]);
  });

  it('explains an unreadable or unparseable file in one line', () => {
    const missing = path.join(dir, 'missing.json');
    expect(configErrorOf(() => loadConfig({ argv: ['--config', missing] })).message).toBe(
      `config: cannot read config file ${missing}: no such file`,
    );
    const folder = path.join(dir, 'folder.json');
    mkdirSync(folder);
    expect(configErrorOf(() => loadConfig({ argv: ['--config', folder] })).message).toBe(
      `config: cannot read config file ${folder}: it is a directory`,
    );
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "listen": ');
    const brokenError = configErrorOf(() => loadConfig({ argv: ['--config', broken] }));
    expect(brokenError.message).toMatch(new RegExp(`^config: config file ${broken} is not valid JSON: .+`));
    expect(brokenError.issues).toHaveLength(1);
    const list = writeJson('list.json', [1, 2]);
    expect(configErrorOf(() => loadConfig({ argv: ['--config', list] })).message).toBe(
      `config: config file ${list} must contain a JSON object`,
    );
  });

  it('refuses --config without a file', () => {
    expect(configErrorOf(() => loadConfig({ argv: ['--config'] })).message).toBe('config: --config needs a file path');
    expect(configErrorOf(() => loadConfig({ argv: ['--config='] })).message).toBe('config: --config needs a file path');
  });
});

describe('the environment table', () => {
  const lookUp = (value: unknown, keyPath: string): unknown =>
    keyPath.split('.').reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), value);

  it.each(CONFIG_ENVIRONMENT.map((variable) => [variable.name, variable] as const))('%s reaches its key in the schema', (_name, variable) => {
    // A value the schema may refuse: then the one error line must name the key and the variable.
    const env = { [variable.name]: 'Q', ...(variable.client === undefined ? {} : { RS_DB_CLIENT: variable.client }) };
    let config: Config;
    try {
      config = loadConfig({ env });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      expect(error.issues).toEqual([expect.stringMatching(new RegExp(`^config: ${variable.key.replaceAll('.', '\\.')}(\\.\\d+)?: .* from ${variable.name}\\)$`))]);
      return;
    }
    expect(lookUp(config, variable.key)).toBeDefined();
    expect(JSON.stringify(lookUp(config, variable.key))).toContain('Q');
  });

  it('is what the README documents, row by row', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = readme.split('\n').filter((line) => line.startsWith('| `'));
    for (const variable of CONFIG_ENVIRONMENT) {
      expect(rows.filter((row) => row.startsWith(`| \`${variable.key}\``) && row.includes(`\`${variable.name}\``)), variable.name).toHaveLength(1);
    }
    const documented = new Set(rows.flatMap((row) => [...(row.split('|')[2] ?? '').matchAll(/`(RS_[A-Z_]+)`/g)].map((match) => match[1])));
    expect([...documented].sort()).toEqual(CONFIG_ENVIRONMENT.map((variable) => variable.name).sort());
  });
});
