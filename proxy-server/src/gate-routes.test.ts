import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from './app.ts';
import { loadSigningKey, type SigningKey } from './auth/signing-key.ts';
import { loadConfig } from './config.ts';
import type { Config } from './config-schema.ts';
import { createDatabase } from './db/database.ts';
import { gateRoutes } from './gate-routes.ts';
import { createGateMetrics, type GateMetrics } from './metrics/gate-metrics.ts';
import { createTempDatabase, type TempDatabase } from './testing/temp-database.ts';
import { createUser } from './users/user-repository.ts';

// The product's routes assembled as main.ts assembles them, answered through inject: the refresh
// cookie's attributes, which routes need an access token, and the audit row behind every refusal.

const PASSWORD = randomBytes(12).toString('base64url');
const COOKIE = /^rs_refresh=([A-Za-z0-9_-]{43})(;|$)/;

class Discard extends Writable {
  override _write(_chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    done();
  }
}

let signingKey: SigningKey;
let temp: TempDatabase;
let app: FastifyInstance | undefined;
let metrics: GateMetrics;

beforeAll(() => {
  signingKey = loadSigningKey(loadConfig().auth);
});

beforeEach(async () => {
  temp = await createTempDatabase();
  await createUser(temp.db, { username: 'ada', displayName: 'Ada', role: 'admin', password: PASSWORD });
  await createUser(temp.db, { username: 'rad', displayName: 'Rad', role: 'radiologist', password: PASSWORD });
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await temp.dispose();
});

function gate(adjust: (config: Config) => Config = (config) => config): FastifyInstance {
  const config = adjust(loadConfig({ env: { RS_DB_FILENAME: temp.filename, RS_LOG_LEVEL: 'silent' } }));
  // A second connection to the same file: the server destroys its own when it closes.
  const db = createDatabase({ client: 'sqlite', filename: temp.filename });
  metrics = createGateMetrics();
  app = buildServer(config, { db, logStream: new Discard(), routes: [gateRoutes(signingKey, { metrics })] });
  return app;
}

async function loginAs(server: FastifyInstance, username: string, client: 'web' | 'desktop' = 'web'): Promise<LightMyRequestResponse> {
  return server.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: PASSWORD, client } });
}

function setCookie(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  expect(typeof header, 'one Set-Cookie header').toBe('string');
  return header as string;
}

function attributes(cookie: string): string[] {
  return cookie
    .split(';')
    .slice(1)
    .map((part) => part.trim())
    .sort();
}

/** The one audit row written for `response`'s request. */
async function auditRow(response: LightMyRequestResponse) {
  const rows = await temp.db.selectFrom('audit_log').selectAll().where('request_id', '=', String(response.headers['x-request-id'])).execute();
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe('the refresh cookie', () => {
  it('is HttpOnly, Secure, SameSite=Strict, scoped to /api/auth, and lives as long as the refresh token', async () => {
    const server = gate();
    const response = await loginAs(server, 'ada');
    expect(response.statusCode).toBe(200);
    const cookie = setCookie(response);
    expect(cookie).toMatch(COOKIE);
    const maxAge = attributes(cookie).find((attribute) => attribute.startsWith('Max-Age='));
    expect(Number(maxAge?.slice('Max-Age='.length))).toBeGreaterThan(28_800 - 5);
    expect(Number(maxAge?.slice('Max-Age='.length))).toBeLessThanOrEqual(28_800);
    expect(attributes(cookie).filter((attribute) => !attribute.startsWith('Max-Age='))).toEqual(['HttpOnly', 'Path=/api/auth', 'SameSite=Strict', 'Secure']);
    const body = response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 300, user: { username: 'ada', role: 'admin' } });
    expect(body).not.toHaveProperty('refreshToken');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(await auditRow(response)).toMatchObject({ action: 'LOGIN', result: 'success', username: 'ada', reason: 'web' });
  });

  it('drops Secure only when auth.secureCookies is off', async () => {
    const server = gate((config) => ({ ...config, auth: { ...config.auth, secureCookies: false } }));
    const cookie = setCookie(await loginAs(server, 'ada'));
    expect(attributes(cookie).filter((attribute) => !attribute.startsWith('Max-Age='))).toEqual(['HttpOnly', 'Path=/api/auth', 'SameSite=Strict']);
  });

  it('is never set for desktop clients, who get the refresh token in the body', async () => {
    const response = await loginAs(gate(), 'ada', 'desktop');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.json()).toMatchObject({ refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), refreshExpiresAt: expect.any(String) });
  });

  it('is read back among other cookies, rotated on refresh, and cleared (Max-Age=0) when reused', async () => {
    const server = gate();
    const first = COOKIE.exec(setCookie(await loginAs(server, 'ada')))![1]!;
    const refreshed = await server.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: `theme=dark; rs_refresh=${first}; other=1` } });
    expect(refreshed.statusCode).toBe(200);
    const second = COOKIE.exec(setCookie(refreshed))![1]!;
    expect(second).not.toBe(first);
    expect(await auditRow(refreshed)).toMatchObject({ action: 'TOKEN_REFRESH', username: 'ada' });

    const reused = await server.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: `rs_refresh=${first}` } });
    expect(reused.statusCode).toBe(401);
    expect(reused.json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
    const cleared = setCookie(reused);
    expect(cleared).toMatch(/^rs_refresh=(;|$)/);
    expect(attributes(cleared)).toEqual(expect.arrayContaining(['Max-Age=0', 'HttpOnly', 'Path=/api/auth', 'SameSite=Strict', 'Secure']));
    expect(await auditRow(reused)).toMatchObject({ action: 'TOKEN_REUSE_DETECTED', result: 'denied', username: 'ada' });
  });

  it('is answered with a cookie only, never in the body, even when the body asks for the desktop answer', async () => {
    const server = gate();
    const first = COOKIE.exec(setCookie(await loginAs(server, 'ada')))![1]!;
    const refreshed = await server.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: `rs_refresh=${first}` }, payload: { client: 'desktop' } });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.body).not.toContain(COOKIE.exec(setCookie(refreshed))![1]!);
    expect(refreshed.json()).not.toHaveProperty('refreshToken');
    expect(refreshed.json()).not.toHaveProperty('refreshExpiresAt');
  });

  it('answers a refresh without any token 401 and audits it', async () => {
    const response = await gate().inject({ method: 'POST', url: '/api/auth/refresh' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'SESSION_EXPIRED' });
    expect(await auditRow(response)).toMatchObject({ action: 'TOKEN_REFRESH_FAILED', reason: 'no refresh token' });
  });

  it('is cleared at logout, which ends the session of its access tokens too', async () => {
    const server = gate();
    const login = await loginAs(server, 'ada');
    const refreshToken = COOKIE.exec(setCookie(login))![1]!;
    const { accessToken } = login.json<{ accessToken: string }>();
    const logout = await server.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: `rs_refresh=${refreshToken}` } });
    expect(logout.statusCode).toBe(204);
    const cleared = setCookie(logout);
    expect(cleared).toMatch(/^rs_refresh=(;|$)/);
    expect(attributes(cleared)).toEqual(expect.arrayContaining(['Max-Age=0', 'HttpOnly', 'Path=/api/auth', 'SameSite=Strict', 'Secure']));
    expect(await auditRow(logout)).toMatchObject({ action: 'LOGOUT', username: 'ada' });

    const after = await server.inject({ method: 'GET', url: '/api/ris/worklist', headers: { authorization: `Bearer ${accessToken}` } });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ code: 'SESSION_REVOKED' });
    expect(await auditRow(after)).toMatchObject({ action: 'TOKEN_REJECTED', result: 'denied', reason: 'SESSION_REVOKED: the session was ended' });
  });
});

describe('routes that need an access token', () => {
  it.each([
    ['GET', '/api/ris/dicom-web/studies'],
    ['HEAD', '/api/ris/dicom-web/studies/1.2.3/metadata'],
    ['GET', '/api/ris/worklist'],
  ] as const)('%s %s refuses a missing token with 401, WWW-Authenticate and a TOKEN_REJECTED row', async (method, url) => {
    const response = await gate().inject({ method, url });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="reading-station", error="invalid_token"');
    if (method === 'GET') {
      expect(response.json()).toEqual({ error: 'authentication failed', code: 'TOKEN_MISSING', requestId: response.headers['x-request-id'] });
    }
    expect(await auditRow(response)).toMatchObject({ action: 'TOKEN_REJECTED', result: 'denied', reason: expect.stringMatching(/^TOKEN_MISSING: /) });
  });

  it('answers 503 AUDIT_UNAVAILABLE, not 401, when the rejection cannot be audited, and counts the failure', async () => {
    const server = gate();
    await server.ready();
    // Another writer holds the file's write lock longer than the audit writer's busy timeout.
    const blocker = new BetterSqlite3(temp.filename);
    blocker.exec('begin immediate');
    let response: LightMyRequestResponse;
    try {
      response = await server.inject({ method: 'GET', url: '/api/ris/dicom-web/studies' });
    } finally {
      blocker.exec('rollback');
      blocker.close();
    }
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'AUDIT_UNAVAILABLE', error: 'audit store unavailable; nothing was served' });
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(await metrics.registry.metrics()).toMatch(/^reading_station_audit_failures_total 1$/m);
  });

  it('refuses a forged token and counts the rejection', async () => {
    const server = gate();
    const response = await server.inject({ method: 'GET', url: '/api/ris/worklist', headers: { authorization: 'Bearer not-a-jwt' } });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(await metrics.registry.metrics()).toMatch(/reading_station_token_rejections_total\{code="TOKEN_INVALID"\} 1/);
    // The metrics are the operations listener's (metrics/ops-server.ts), never a route of the gate.
    expect((await server.inject({ method: 'GET', url: '/api/metrics' })).statusCode).toBe(404);
  });

  it('answers the worklist and the gate for a valid token, each audited', async () => {
    const server = gate();
    const { accessToken } = (await loginAs(server, 'ada')).json<{ accessToken: string }>();
    const authorization = `Bearer ${accessToken}`;

    const worklist = await server.inject({ method: 'GET', url: '/api/ris/worklist', headers: { authorization } });
    expect(worklist.statusCode).toBe(200);
    expect(worklist.json()).toMatchObject({ items: [], total: 0 });
    expect(await auditRow(worklist)).toMatchObject({ action: 'WORKLIST_QUERY', username: 'ada', reason: '0 of 0 studies' });

    const badQuery = await server.inject({ method: 'GET', url: '/api/ris/worklist?limit=-1', headers: { authorization } });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json()).toMatchObject({ code: 'INVALID_QUERY' });

    const search = await server.inject({ method: 'GET', url: '/api/ris/dicom-web/studies', headers: { authorization } });
    expect(search.statusCode).toBe(200);
    expect(search.headers['x-accel-redirect']).toMatch(/^\/internal-orthanc\//);
    expect(search.body).toBe('');
    expect(await auditRow(search)).toMatchObject({ action: 'DICOM_QUERY', result: 'success', username: 'ada', reason: 'studies: all (not constrained); query: (none)' });

    const missing = await server.inject({ method: 'GET', url: '/api/ris/dicom-web/studies/1.2.3/metadata', headers: { authorization } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'STUDY_NOT_FOUND' });
    expect(await auditRow(missing)).toMatchObject({ action: 'DICOM_ACCESS_DENIED', result: 'denied' });
  });

  it('answers a search that can match nothing itself, with [] and an audit row', async () => {
    await createUser(temp.db, { username: 'joy', displayName: 'Joy', role: 'nurse', password: PASSWORD });
    const server = gate();
    const { accessToken } = (await loginAs(server, 'joy')).json<{ accessToken: string }>();
    const response = await server.inject({ method: 'GET', url: '/api/ris/dicom-web/studies', headers: { authorization: `Bearer ${accessToken}` } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/dicom\+json(;|$)/);
    expect(response.headers['x-accel-redirect']).toBeUndefined();
    expect(response.body).toBe('[]');
    expect(await auditRow(response)).toMatchObject({ action: 'DICOM_QUERY', result: 'success', username: 'joy', reason: 'no visible studies' });
  });

  it('leaves the read-only refusals and WADO-URI without a token and without an audit row', async () => {
    const server = gate();
    const post = await server.inject({ method: 'POST', url: '/api/ris/dicom-web/studies', headers: { 'content-type': 'application/dicom' }, payload: 'x' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(post.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    const wado = await server.inject({ method: 'GET', url: '/api/ris/wado?requestType=WADO' });
    expect(wado.statusCode).toBe(400);
    expect(wado.json()).toMatchObject({ code: 'WADO_URI_NOT_SUPPORTED' });
    const rows = await temp.db.selectFrom('audit_log').select('id').where('request_id', 'in', [String(post.headers['x-request-id']), String(wado.headers['x-request-id'])]).execute();
    expect(rows).toEqual([]);
  });
});

describe('login throttling', () => {
  const attempt = (server: FastifyInstance, username: string, password: string) =>
    server.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password, client: 'desktop' } });

  it('counts parallel wrong logins before checking them: 20 at once, all after the fifth refused', async () => {
    const server = gate();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(server, 'rad', `wrong-${i}`)));
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    // The right password too, until the lockout ends.
    expect((await attempt(server, 'rad', PASSWORD)).statusCode).toBe(429);
  });

  it('treats every spacing and case of a name as that name, in the throttle, the lookup and the audit row', async () => {
    const server = gate();
    for (let i = 0; i < 5; i++) expect((await attempt(server, 'rad', `wrong-${i}`)).statusCode).toBe(401);
    for (const variant of [' rad', 'rad\t', '  RAD ', 'Rad']) {
      const answer = await attempt(server, variant, PASSWORD);
      expect(answer.statusCode, JSON.stringify(variant)).toBe(429);
      expect(await auditRow(answer)).toMatchObject({ action: 'LOGIN_LOCKED_OUT', username: 'rad' });
    }
    const ada = await attempt(server, '  ADA ', PASSWORD);
    expect(ada.statusCode).toBe(200);
    expect(await auditRow(ada)).toMatchObject({ action: 'LOGIN', username: 'ada' });
  });
});

describe('rejections that name no user', () => {
  it('are audited as one row at once and one row with the count when the interval ends, not one row each', async () => {
    const server = gate();
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await server.inject({ method: 'GET', url: '/api/ris/worklist', remoteAddress: '10.9.8.7' }));
    expect(answers.every((answer) => answer.statusCode === 401)).toBe(true);
    const rows = () => temp.db.selectFrom('audit_log').select(['action', 'reason', 'client_ip']).where('action', '=', 'TOKEN_REJECTED').execute();
    expect(await rows()).toEqual([{ action: 'TOKEN_REJECTED', reason: 'TOKEN_MISSING: no bearer token', client_ip: '10.9.8.7' }]);
    // Stopping the gate ends the interval.
    await server.close();
    app = undefined;
    expect(await rows()).toEqual([
      { action: 'TOKEN_REJECTED', reason: 'TOKEN_MISSING: no bearer token', client_ip: '10.9.8.7' },
      { action: 'TOKEN_REJECTED', reason: expect.stringMatching(/^TOKEN_REJECTED:TOKEN_MISSING: 29 more from this address in \d+ s \(aggregated\)$/), client_ip: '10.9.8.7' },
    ]);
  });
});
