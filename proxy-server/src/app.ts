import Fastify, { LogController } from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import type { Config } from './config-schema.ts';
import type { RsDatabase } from './db/database.ts';
import { healthRoutes } from './health/health-routes.ts';
import { createClientAddressResolver } from './http/client-address.ts';
import type { ClientAddressResolver } from './http/client-address.ts';
import { HttpError, codeForStatus, sendErrorBody } from './http/http-errors.ts';
import { REQUEST_ID_HEADER, requestIdFor } from './http/request-id.ts';
import type { SyncStatus } from './sync/registry-sync.ts';
import { GATE_CONNECTION_TIMEOUT_MS, GATE_KEEP_ALIVE_TIMEOUT_MS, GATE_REQUEST_TIMEOUT_MS } from './http/server-timeouts.ts';

/** What the core app hands to route plugins registered through `ServerDeps.routes`. */
export interface CoreServices {
  config: Config;
  db: RsDatabase;
  clientAddress: ClientAddressResolver;
}

export type RoutePlugin = (app: FastifyInstance, services: CoreServices) => Promise<void>;

export interface ServerDeps {
  /** Owned by the server from here on: it is destroyed when the server closes. */
  db: RsDatabase;
  /** For the Orthanc readiness probe; the global fetch by default. */
  fetch?: typeof fetch;
  /** Where JSON log lines go (tests capture them); stdout by default. */
  logStream?: DestinationStream;
  /** Budget of each readiness check. */
  readinessTimeoutMs?: number;
  /** The registry sync, whose lag readiness reports (main.ts starts and stops it). */
  registrySync?: { status(): SyncStatus };
  /** Route plugins (auth, DICOMweb gate, …), registered after the core routes and under its error handling. */
  routes?: readonly RoutePlugin[];
}

const DEFAULT_READINESS_TIMEOUT_MS = 2_000;

// Header values that must never reach a log line.
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-reading-station-proxy"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-reading-station-proxy"]',
  'headers["set-cookie"]',
];

/**
 * The Fastify app, configured but not listening: `main.ts` listens, tests inject. Plugins load in
 * a fixed order: request ids and error handling, then health routes, then `deps.routes`.
 */
export function buildServer(config: Config, deps: ServerDeps): FastifyInstance {
  const clientAddress = createClientAddressResolver(config.trustedProxies, config.proxySecret);

  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: {
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: request.url,
          clientAddress: clientAddress(request),
          headers: request.headers,
        }),
      },
      // Written asynchronously: while one write is in flight, the lines logged meanwhile wait and go
      // out together in the next, so a busy gate makes one write per batch instead of a blocking one
      // per line (several per cent of its CPU per decision). pino writes what is left when the process exits.
      stream: deps.logStream ?? pino.destination({ dest: 1, sync: false }),
    },
    // One compact line per answered request (the onResponse hook below) instead of Fastify's two
    // with every header.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    genReqId: requestIdFor,
    // X-Forwarded-* is not trusted; the client address comes from the resolver above.
    trustProxy: false,
    // The gate never receives image bytes; its bodies are small JSON documents.
    bodyLimit: 64 * 1024,
    // Above nginx's upstream keepalive_timeout (60 s), so nginx, not Node, closes idle connections;
    // `stack:up` checks that order (docs/connections.md).
    keepAliveTimeout: GATE_KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: GATE_REQUEST_TIMEOUT_MS,
    connectionTimeout: GATE_CONNECTION_TIMEOUT_MS,
    return503OnClosing: true,
  });

  app.addHook('onResponse', async (request, reply) => {
    // The path only: query strings can carry patient names, and the audit log records accesses.
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        clientAddress: clientAddress(request),
      },
      'request',
    );
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  app.setErrorHandler((error: FastifyError | HttpError | Error, request, reply) => answerError(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendErrorBody(reply, 404, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));

  app.addHook('onClose', async () => {
    await deps.db.destroy();
  });

  app.register(healthRoutes, {
    db: deps.db,
    orthancHealthUrl: config.orthancHealthUrl,
    fetch: deps.fetch ?? fetch,
    timeoutMs: deps.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
    ...(deps.registrySync !== undefined && { registrySync: deps.registrySync }),
  });

  const services: CoreServices = { config, db: deps.db, clientAddress };
  for (const route of deps.routes ?? []) {
    app.register(async (scope) => route(scope, services));
  }
  return app;
}

function answerError(error: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const statusCode = 'statusCode' in error && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode <= 599 ? error.statusCode : 500;
  if (statusCode >= 500) {
    // The client learns only that it failed and which request to quote; the log has the rest.
    request.log.error({ err: error }, 'request failed');
    return sendErrorBody(reply, statusCode, codeForStatus(statusCode), statusCode === 503 ? 'service unavailable' : 'internal server error');
  }
  request.log.info({ err: error }, 'request refused');
  if (error instanceof HttpError) return sendErrorBody(reply, statusCode, error.code, error.message);
  if ('validation' in error && error.validation !== undefined) return sendErrorBody(reply, statusCode, 'VALIDATION_FAILED', error.message);
  // Fastify's own 4xx errors (bad JSON, body too large, wrong content type) describe the request only.
  return sendErrorBody(reply, statusCode, codeForStatus(statusCode), error.message);
}
