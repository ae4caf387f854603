import path from 'node:path';
import { z } from 'zod';

// What a configuration may contain: the schema every source (file, environment, defaults) is
// validated against, and the types the server is handed. Loading it is config.ts's job.

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
    // The operations listener (Prometheus metrics), a Unix socket: never on the public port. nginx's
    // loopback operations server proxies to it. Unset: metrics are not served.
    opsSocket: z.string(expecting('expected a socket file path')).min(1, expecting('expected a socket file path')).optional(),
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
  // A session (one login's refresh-token family) ends after this long however often it is
  // refreshed (absolute cap), or when it was not refreshed for sessionIdleSeconds (idle timeout):
  // the next refresh answers SESSION_EXPIRED and the client asks for the password again.
  sessionMaxSeconds: seconds(300, 7 * 24 * 3600).default(12 * 3600),
  sessionIdleSeconds: seconds(60, 24 * 3600).default(30 * 60),
  // Rejected requests that name no user (no token, a forged or expired one) are audited as one row
  // per kind and client address per interval, with a count, instead of one row each.
  rejectionAuditIntervalSeconds: seconds(1, 3600).default(60),
  // The refresh cookie's Secure flag. Browsers accept Secure cookies from http://localhost too.
  secureCookies: z.boolean().default(true),
  lockout: z
    .strictObject({
      maxFailuresPerAccount: z.int().min(1).default(5),
      // Flags the address: it locks nobody out by itself (a hospital's proxy is one address for
      // everyone), but from a flagged address each account may fail only
      // maxFailuresPerAccountFromFlaggedAddress times (login-throttle.ts).
      maxFailuresPerAddress: z.int().min(1).default(50),
      maxFailuresPerAccountFromFlaggedAddress: z.int().min(1).default(2),
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

const HEADER_FIELD = (max: number) => {
  const expectation = `expected 1 to ${max} printable ASCII characters without spaces`;
  return z.string(expecting(expectation)).regex(new RegExp(`^[\\x21-\\x7e]{1,${max}}$`), expecting(expectation));
};

const syslogSchema = z
  .strictObject({
    host: z.string(expecting('expected a host name or IP address')).min(1, expecting('expected a host name or IP address')).optional(),
    port: z
      .int(expecting(PORT_EXPECTATION))
      .min(1, expecting(PORT_EXPECTATION))
      .max(65535, expecting(PORT_EXPECTATION))
      .default(6514),
    // PEM CA certificates the collector's certificate must chain to; unset: Node's built-in list.
    caFile: z.string().min(1).optional(),
    // The gate's own certificate and key (PEM), for a collector that authenticates senders.
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    // The name the collector's certificate must carry; unset: host. Never unchecked.
    serverName: z.string().min(1).optional(),
    appName: HEADER_FIELD(48).default('reading-station'),
    // HOSTNAME of each message and the AuditSourceID of its DICOM audit message; unset: the machine's name.
    hostname: HEADER_FIELD(255).optional(),
    // IANA Private Enterprise Number of the structured data's SD-IDs (rsAudit@<number>). 32473 is
    // the number RFC 5612 reserves for documentation: set the hospital's or the vendor's own.
    enterpriseId: z.int(expecting('expected a positive integer')).min(1, expecting('expected a positive integer')).default(32473),
    batchSize: z.int(expecting('expected an integer between 1 and 5000')).min(1).max(5000, expecting('expected an integer between 1 and 5000')).default(500),
    pollIntervalMs: z.int().min(50).max(60_000).default(1000),
    // Retries after a failure wait minBackoffMs, doubling up to maxBackoffSeconds.
    minBackoffMs: z.int().min(50).max(60_000).default(1000),
    maxBackoffSeconds: seconds(1, 3600).default(60),
    timeoutSeconds: seconds(1, 600).default(30),
    leaseSeconds: seconds(5, 3600).default(30),
  })
  .superRefine((syslog, context) => {
    // A certificate without its key (or the reverse) is a mistake, not a choice: said at the key given.
    if ((syslog.certFile === undefined) !== (syslog.keyFile === undefined)) {
      const given = syslog.certFile === undefined ? 'keyFile' : 'certFile';
      context.addIssue({ code: 'custom', path: [given], message: 'expected certFile and keyFile together' });
    }
  });

export type AuditSyslogConfig = z.infer<typeof syslogSchema>;

// The audit chain's HMAC key and its external anchor (docs/security.md, "Audit log").
const auditSchema = z.strictObject({
  // One key a line (at least 32 characters), the current one first, retired ones below it. Kept
  // outside the database; unset: rows are chained with plain SHA-256 (anyone who can write the
  // database can re-chain them).
  keyFile: z.string().min(1).optional(),
  // The chain head (row id + hash) is appended here, opened O_APPEND, every anchorIntervalSeconds
  // and at shutdown; `audit verify` checks the log against it. Unset: no anchor.
  anchorFile: z.string().min(1).optional(),
  anchorIntervalSeconds: seconds(1, 3600).default(60),
  // nginx's served log (log_format rs_served): what was actually served for each request the gate
  // let through, read into audit_served every servedLogPollMs (audit/served-log.ts). Unset: not read.
  servedLogFile: z.string().min(1).optional(),
  servedLogPollMs: z.coerce.number().int().min(100).max(60_000).default(1000),
  // ATNA forwarding (audit/syslog-forwarder.ts, docs/operations.md): every row, and the chain head
  // every anchorIntervalSeconds, sent to the hospital's audit repository as RFC 5424 over TLS
  // (RFC 5425), from the audit table as a durable spool. Unset (or without host): not forwarded.
  syslog: syslogSchema.optional(),
});

export type AuditConfig = z.infer<typeof auditSchema>;

export const configSchema = z.strictObject({
  auth: authSchema.prefault({}),
  audit: auditSchema.prefault({}),
  listen: listenSchema.prefault({}),
  database: databaseSchema.prefault({ client: 'sqlite' }),
  // A URL that nginx answers with Orthanc's /system through an ops-only location, so readiness
  // proves the whole path nginx → Orthanc. Optional so the admin CLI runs without it; the server
  // then reports itself not ready.
  orthancHealthUrl: httpUrl.optional(),
  // Orthanc's REST API for the registry sync (docs/operations.md, "The registry follows Orthanc"):
  // the gate follows /changes and reads study attributes with these credentials. Kept out of logs
  // and answers. Unset: no sync (the registry changes only through the admin CLI).
  orthanc: z
    .strictObject({
      url: httpUrl,
      username: z.string().min(1),
      password: z.string().min(1),
      sync: z
        .strictObject({
          enabled: z.boolean().default(true),
          pollIntervalMs: z.int().min(50).max(60_000).default(1000),
          batchSize: z.int().min(1).max(10_000).default(200),
          leaseSeconds: seconds(5, 3600).default(30),
          maxBackoffSeconds: seconds(1, 3600).default(30),
        })
        .prefault({}),
    })
    .optional(),
  // nginx's DICOMweb cache (docs/operations.md, "The DICOMweb cache"): with Orthanc configured, the
  // gate keys metadata, searches and frames by a revision of the study and redirects them to nginx's
  // cached location. Metadata and searches wait for a look at Orthanc's changes that started after
  // they arrived; frames take the revision the periodic look (every revisionPollMs) left.
  // Disabled, or without orthanc, every answer comes from Orthanc.
  dicomwebCache: z
    .strictObject({
      enabled: z.boolean().default(true),
      revisionPollMs: z.int().min(50).max(60_000).default(1000),
      maxStudies: z.int().min(1).max(100_000).default(2000),
      idleSeconds: seconds(10, 86_400).default(3600),
    })
    .prefault({}),
  // Peers whose X-Real-IP header is believed (nginx). Anyone else's address is taken from the socket.
  trustedProxies: z.array(ipOrCidr, expecting('expected a list of IP addresses or CIDR ranges')).default(['127.0.0.1', '::1']),
  // A secret nginx sends in X-Reading-Station-Proxy on every request to the gate; when set, X-Real-IP
  // is believed only from requests that carry it (a local process can reach the gate's port, but
  // cannot read nginx's configuration). Set it in every deployment.
  proxySecret: z.string(expecting('expected at least 32 characters')).min(32, expecting('expected at least 32 characters')).optional(),
  // The origin users reach (nginx); used to build public URLs. Unset means "derive from the request".
  publicBaseUrl: httpUrl.optional(),
  logLevel: z.enum(LOG_LEVELS, expecting(`expected one of ${LOG_LEVELS.join(', ')}`)).default('info'),
});

export type Config = z.output<typeof configSchema>;
export type DatabaseConfig = Config['database'];
export type AuthConfig = Config['auth'];
export type ConfigInput = z.input<typeof configSchema>;
