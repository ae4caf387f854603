import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from './app.ts';
import type { ServerDeps } from './app.ts';
import { loadConfig } from './config.ts';
import type { Config } from './config-schema.ts';
import type { Database } from './db/schema.ts';
import { HttpError } from './http/http-errors.ts';
import { createTempDatabase } from './testing/temp-database.ts';
import type { TempDatabase } from './testing/temp-database.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A stand-in for nginx's ops location in front of Orthanc's /system. */
class HealthStandIn {
  handler: Handler = (_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ Name: 'Orthanc', Version: '1.13.0', ApiVersion: 27 }));
  };
  readonly server: Server = createServer((request, response) => this.handler(request, response));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/orthanc/system`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

let temp: TempDatabase;
let standIn: HealthStandIn;
let healthUrl: string;
let logs: LogCapture;
let app: FastifyInstance | undefined;

beforeEach(async () => {
  temp = await createTempDatabase();
  standIn = new HealthStandIn();
  healthUrl = await standIn.start();
  logs = new LogCapture();
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await standIn.stop();
  await temp.dispose();
});

function config(overrides: Record<string, string> = {}): Config {
  return loadConfig({ env: { RS_ORTHANC_HEALTH_URL: healthUrl, RS_DB_FILENAME: temp.filename, RS_LOG_LEVEL: 'info', ...overrides } });
}

function build(deps: Partial<ServerDeps> = {}, cfg: Config = config()): FastifyInstance {
  app = buildServer(cfg, { db: temp.db, logStream: logs, readinessTimeoutMs: 2_000, ...deps });
  return app;
}

describe('health', () => {
  it('answers /api/healthz while the process is alive', async () => {
    const response = await build().inject({ method: 'GET', url: '/api/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('is ready when the database and Orthanc (through the health URL) answer', async () => {
    const response = await build().inject({ method: 'GET', url: '/api/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ready',
      checks: { database: { status: 'ok', durationMs: expect.any(Number) }, orthanc: { status: 'ok', durationMs: expect.any(Number) } },
    });
  });

  it.each([
    ['an error status', ((_request, response) => { response.statusCode = 502; response.end('bad gateway'); }) satisfies Handler, 'HTTP 502'],
    ['something that is not Orthanc', ((_request, response) => { response.setHeader('content-type', 'text/html'); response.end('<html>nginx</html>'); }) satisfies Handler, "not Orthanc's /system answer"],
    ['JSON without a version', ((_request, response) => { response.end('{"Name":"x"}'); }) satisfies Handler, "not Orthanc's /system answer"],
    ['nothing in time', ((_request, response) => { setTimeout(() => response.end('{}'), 6_000).unref(); }) satisfies Handler, 'no answer within 2000 ms'],
  ])('is not ready when the health URL answers %s', async (_label, handler, reason) => {
    standIn.handler = handler;
    const response = await build().inject({ method: 'GET', url: '/api/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'not_ready', checks: { database: { status: 'ok' }, orthanc: { status: 'fail', reason } } });
  });

  it('is not ready when nothing listens at the health URL', async () => {
    await standIn.stop();
    const response = await build().inject({ method: 'GET', url: '/api/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ checks: { orthanc: { status: 'fail', reason: 'unreachable' } } });
    standIn = new HealthStandIn();
    await standIn.start();
  });

  it('is not ready when no health URL is configured', async () => {
    const cfg = loadConfig({ env: { RS_DB_FILENAME: temp.filename } });
    const response = await build({}, cfg).inject({ method: 'GET', url: '/api/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      checks: { orthanc: { status: 'fail', reason: 'not configured (set orthancHealthUrl / RS_ORTHANC_HEALTH_URL)' } },
    });
  });

  it('is not ready when the database fails, without saying why to the client', async () => {
    const closed = new BetterSqlite3(':memory:');
    closed.close();
    const broken = new Kysely<Database>({ dialect: new SqliteDialect({ database: closed }) });
    const response = await build({ db: broken }).inject({ method: 'GET', url: '/api/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'not_ready', checks: { database: { status: 'fail', reason: 'query failed' }, orthanc: { status: 'ok' } } });
    expect(response.body).not.toContain('not open');
    expect(logs.text).toContain('readiness check failed');
  });
});

describe('request ids', () => {
  it('keeps a safe X-Request-Id and echoes it', async () => {
    const response = await build().inject({ method: 'GET', url: '/api/healthz', headers: { 'x-request-id': 'f3a9c2e1b4d54c7a9e0f1a2b3c4d5e6f' } });
    expect(response.headers['x-request-id']).toBe('f3a9c2e1b4d54c7a9e0f1a2b3c4d5e6f');
    expect(logs.lines.some((line) => line.requestId === 'f3a9c2e1b4d54c7a9e0f1a2b3c4d5e6f')).toBe(true);
  });

  it.each(['has spaces', 'x'.repeat(129), 'semi;colon', 'new\u2028line', ''])('replaces an unsafe X-Request-Id (%j)', async (given) => {
    const response = await build().inject({ method: 'GET', url: '/api/healthz', headers: { 'x-request-id': given } });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('generates one when none is given', async () => {
    const response = await build().inject({ method: 'GET', url: '/api/healthz' });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('errors', () => {
  it('answers unknown routes with a JSON 404', async () => {
    const response = await build().inject({ method: 'GET', url: '/api/nope?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'no route for GET /api/nope', code: 'NOT_FOUND', requestId: response.headers['x-request-id'] });
  });

  it('never leaks the internals of a 5xx, but logs them', async () => {
    const response = await build({
      routes: [
        async (app) => {
          app.get('/api/boom', async () => {
            throw new Error('connection to /var/lib/secret.sqlite lost');
          });
        },
      ],
    }).inject({ method: 'GET', url: '/api/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: 'internal server error', code: 'INTERNAL', requestId: response.headers['x-request-id'] });
    expect(response.body).not.toContain('secret');
    expect(logs.text).toContain('connection to /var/lib/secret.sqlite lost');
  });

  it('answers coded client errors with their code and message', async () => {
    const server = build({
      routes: [
        async (app) => {
          app.get('/api/forbidden', async () => {
            throw new HttpError(403, 'STUDY_FORBIDDEN', 'permission denied');
          });
          app.post('/api/echo', async (request) => request.body);
        },
      ],
    });
    const forbidden = await server.inject({ method: 'GET', url: '/api/forbidden' });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual({ error: 'permission denied', code: 'STUDY_FORBIDDEN', requestId: forbidden.headers['x-request-id'] });

    const badJson = await server.inject({ method: 'POST', url: '/api/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ code: 'BAD_REQUEST' });

    const tooBig = await server.inject({ method: 'POST', url: '/api/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ a: 'x'.repeat(70_000) }) });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('logging', () => {
  it('logs one line per request without credentials or the query string', async () => {
    await build().inject({
      method: 'GET',
      url: '/api/healthz?PatientName=DOE%5EJANE',
      headers: { authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.secret-token', cookie: 'rs_refresh=refresh-secret', 'user-agent': 'ReadingStation/1.0' },
    });
    expect(logs.text).not.toContain('secret-token');
    expect(logs.text).not.toContain('refresh-secret');
    expect(logs.text).not.toContain('DOE');
    const lines = logs.lines.filter((line) => line.msg === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: 'GET', path: '/api/healthz', status: 200 });
  });
});

describe('client address', () => {
  it('believes X-Real-IP only from a trusted proxy', async () => {
    const server = build({
      routes: [
        async (app, services) => {
          app.get('/api/whoami', async (request) => ({ address: services.clientAddress(request) }));
        },
      ],
    });
    const seen = async (remoteAddress: string, realIp?: string) => {
      const headers = realIp === undefined ? {} : { 'x-real-ip': realIp };
      return (await server.inject({ method: 'GET', url: '/api/whoami', remoteAddress, headers })).json<{ address: string }>().address;
    };
    expect(await seen('127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
    expect(await seen('198.51.100.2', '203.0.113.7')).toBe('198.51.100.2');
    expect(await seen('127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('shutdown', () => {
  it('destroys the database when the server closes', async () => {
    const server = build();
    await server.ready();
    await server.close();
    app = undefined;
    await expect(temp.db.selectFrom('users').select('id').execute()).rejects.toThrow();
  });
});
