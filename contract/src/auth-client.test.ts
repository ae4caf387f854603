import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthClientError, authFailureFor, createAuthClient, loginFailure, type AuthFailureCode } from './auth-client.ts';
import { ERROR_CODES, ERROR_CODE_LIST, type ErrorCode } from './error-codes.ts';

/*
 * The auth client against a tiny local HTTP server, through Node's own fetch: what it sends per
 * client kind, and what every answer turns into. The real gate is exercised by the desktop
 * session's integration test and the e2e session specs.
 */

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Handler = (request: Received, response: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
let received: Received[];

const user = { id: 7, username: 'rad.chen', displayName: 'Dr. Mei Chen', role: 'radiologist' };
const tokens = (extra: Record<string, unknown> = {}) => ({
  accessToken: 'access-1',
  tokenType: 'Bearer',
  expiresIn: 300,
  expiresAt: new Date(Date.now() + 300_000).toISOString(),
  user,
  ...extra,
});
const desktopTokens = () => tokens({ refreshToken: 'refresh-2', refreshExpiresAt: new Date(Date.now() + 86_400_000).toISOString() });

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function errorAnswer(code: ErrorCode, headers: Record<string, string> = {}): Handler {
  return (_request, response) => json(response, ERROR_CODES[code].status, { error: `server says ${code}`, code, requestId: 'req-42' }, headers);
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      const entry = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: text ? JSON.parse(text) : undefined };
      received.push(entry);
      handler(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  handler = (_request, response) => json(response, 500, { error: 'no handler', code: 'INTERNAL', requestId: 'x' });
});

async function failureOf(call: Promise<unknown>): Promise<AuthClientError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AuthClientError)) throw new Error(`expected an AuthClientError, got ${String(error)}`);
  return error;
}

describe('auth client requests', () => {
  it('a desktop client sends and receives the refresh token in the body, and no cookie', async () => {
    const client = createAuthClient({ baseUrl, client: 'desktop', headers: { 'User-Agent': 'ReadingStation-tests (desktop)' } });
    handler = (_request, response) => json(response, 200, desktopTokens());
    expect(await client.login({ username: 'rad.chen', password: 'pw' })).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-2', user });
    expect(await client.refresh('refresh-1')).toMatchObject({ refreshToken: 'refresh-2' });
    handler = (_request, response) => response.writeHead(204).end();
    await client.logout({ refreshToken: 'refresh-2' });

    expect(received.map(({ method, path, body }) => [method, path, body])).toEqual([
      ['POST', '/api/auth/login', { username: 'rad.chen', password: 'pw', client: 'desktop' }],
      ['POST', '/api/auth/refresh', { refreshToken: 'refresh-1', client: 'desktop' }],
      ['POST', '/api/auth/logout', { refreshToken: 'refresh-2' }],
    ]);
    for (const { headers } of received) {
      expect(headers['content-type']).toBe('application/json');
      expect(headers['user-agent']).toBe('ReadingStation-tests (desktop)');
      expect(headers.cookie).toBeUndefined();
      expect(headers.authorization).toBeUndefined();
    }
  });

  it('a web client sends no token (the cookie carries it) and logs out with its bearer token', async () => {
    const calls: RequestInit[] = [];
    const client = createAuthClient({
      baseUrl,
      client: 'web',
      fetch: (input, init) => {
        calls.push(init);
        return fetch(input, init);
      },
    });
    handler = (_request, response) => json(response, 200, tokens());
    expect(await client.login({ username: 'rad.chen', password: 'pw' })).toEqual(tokens({ expiresAt: expect.any(String) }));
    await client.refresh();
    handler = (_request, response) => response.writeHead(204).end();
    await client.logout({ accessToken: 'access-1' });

    expect(received.map(({ path, body }) => [path, body])).toEqual([
      ['/api/auth/login', { username: 'rad.chen', password: 'pw', client: 'web' }],
      ['/api/auth/refresh', {}],
      ['/api/auth/logout', {}],
    ]);
    expect(received[2]?.headers.authorization).toBe('Bearer access-1');
    expect(calls.map((init) => init.credentials)).toEqual(['same-origin', 'same-origin', 'same-origin']);
    expect(calls.every((init) => init.redirect === 'manual' && init.cache === 'no-store')).toBe(true);
  });

  it('refuses a desktop answer without the refresh token, and any other body', async () => {
    const client = createAuthClient({ baseUrl, client: 'desktop', nameServerInMessages: true });
    handler = (_request, response) => json(response, 200, tokens());
    const error = await failureOf(client.login({ username: 'rad', password: 'pw' }));
    expect(error).toMatchObject({ code: 'SERVER_ERROR', status: 200, operation: 'login' });
    expect(error.message).toContain(`The server at ${baseUrl} did not answer like a Reading Station server`);
    handler = (_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
    expect(await failureOf(client.refresh('tok'))).toMatchObject({ code: 'SERVER_ERROR' });
  });

  it('does not follow a redirect with the credentials', async () => {
    const client = createAuthClient({ baseUrl, client: 'desktop' });
    handler = (request, response) => {
      if (request.path === '/api/auth/login') response.writeHead(307, { location: '/elsewhere' }).end();
      else json(response, 200, desktopTokens());
    };
    expect(await failureOf(client.login({ username: 'rad', password: 'pw' }))).toMatchObject({ code: 'SERVER_ERROR', status: 307 });
    expect(received.map((r) => r.path)).toEqual(['/api/auth/login']);
  });
});

describe('auth client failures', () => {
  it('wrong credentials, a lockout with its wait, and the audit store down at login', async () => {
    const client = createAuthClient({ baseUrl, client: 'web' });
    handler = errorAnswer('INVALID_CREDENTIALS');
    const wrong = await failureOf(client.login({ username: 'x', password: 'y' }));
    expect(wrong).toMatchObject({ code: 'INVALID_CREDENTIALS', status: 401, serverCode: 'INVALID_CREDENTIALS', requestId: 'req-42' });
    expect(wrong.message).toBe('The user name or password is wrong.');
    expect(loginFailure(wrong)).toEqual({ ok: false, code: 'INVALID_CREDENTIALS', message: 'The user name or password is wrong.' });

    handler = errorAnswer('LOGIN_LOCKED_OUT', { 'retry-after': '42' });
    const locked = await failureOf(client.login({ username: 'x', password: 'y' }));
    expect(loginFailure(locked)).toEqual({
      ok: false,
      code: 'LOGIN_LOCKED_OUT',
      message: 'Too many failed sign-ins: this account is locked for now. Try again in 42 s.',
      retryAfterSeconds: 42,
    });

    handler = errorAnswer('AUDIT_UNAVAILABLE');
    expect(loginFailure(await failureOf(client.login({ username: 'x', password: 'y' })))).toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    handler = errorAnswer('INVALID_REQUEST');
    expect(loginFailure(await failureOf(client.login({ username: 'x', password: 'y' })))).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('a refused refresh ends the session as expired, or as revoked after token reuse', async () => {
    const client = createAuthClient({ baseUrl, client: 'desktop' });
    const cases: Array<[ErrorCode, AuthFailureCode, 'expired' | 'revoked']> = [
      ['SESSION_EXPIRED', 'SESSION_EXPIRED', 'expired'],
      ['INVALID_REQUEST', 'SESSION_EXPIRED', 'expired'],
      ['REFRESH_TOKEN_REUSED', 'SESSION_REVOKED', 'revoked'],
      ['SESSION_REVOKED', 'SESSION_REVOKED', 'revoked'],
    ];
    for (const [serverCode, code, end] of cases) {
      handler = errorAnswer(serverCode);
      const error = await failureOf(client.refresh('tok'));
      expect(error, serverCode).toMatchObject({ code, serverCode, operation: 'refresh', sessionEnd: end });
      expect(error.message).toMatch(/^Your session has ended/);
    }
  });

  it('passing trouble does not end the session', async () => {
    const client = createAuthClient({ baseUrl, client: 'web' });
    for (const [answer, code] of [
      [errorAnswer('GATE_UNREACHABLE'), 'SERVER_UNREACHABLE'],
      [errorAnswer('SERVICE_UNAVAILABLE'), 'SERVER_UNREACHABLE'],
      [errorAnswer('AUDIT_UNAVAILABLE'), 'AUDIT_UNAVAILABLE'],
      [errorAnswer('INTERNAL'), 'SERVER_ERROR'],
      [((_request, response) => response.writeHead(504).end('gateway timeout')) as Handler, 'SERVER_UNREACHABLE'],
      [((_request, response) => response.writeHead(401).end('<html>login wall</html>')) as Handler, 'SERVER_ERROR'],
    ] as const) {
      handler = answer;
      const error = await failureOf(client.refresh());
      expect(error.code).toBe(code);
      expect(error.sessionEnd).toBeUndefined();
    }
  });

  it('says the server cannot be reached when nothing answers, or nothing in time', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createAuthClient({ baseUrl: `http://127.0.0.1:${port}`, client: 'desktop', nameServerInMessages: true });
    const password = randomBytes(12).toString('base64url');
    const refused = await failureOf(unreachable.login({ username: 'rad', password }));
    expect(refused).toMatchObject({ code: 'SERVER_UNREACHABLE', status: undefined });
    expect(refused.message).toContain(`server at http://127.0.0.1:${port} cannot be reached`);
    expect(refused.message).toContain('ECONNREFUSED');
    expect(JSON.stringify(refused)).not.toContain(password);
    expect(refused.cause).toBeUndefined();

    const slow = createAuthClient({ baseUrl, client: 'desktop', timeoutMs: 100 });
    handler = (_request, response) => setTimeout(() => json(response, 200, desktopTokens()), 2_000);
    const late = await failureOf(slow.refresh('tok'));
    expect(late.code).toBe('SERVER_UNREACHABLE');
    expect(late.message).toContain('no answer in time');
  });

  it('a logout the server does not confirm fails', async () => {
    const client = createAuthClient({ baseUrl, client: 'desktop' });
    handler = errorAnswer('AUDIT_UNAVAILABLE');
    expect(await failureOf(client.logout({ refreshToken: 'tok' }))).toMatchObject({ code: 'AUDIT_UNAVAILABLE', operation: 'logout' });
  });
});

describe('outcome of every error code', () => {
  it('maps each code the same way for every client, and never ends a session at login', () => {
    for (const code of ERROR_CODE_LIST) {
      const status = ERROR_CODES[code].status;
      const atLogin = authFailureFor('login', status, code);
      const atRefresh = authFailureFor('refresh', status, code);
      expect(['SESSION_EXPIRED', 'SESSION_REVOKED'], code).not.toContain(atLogin);
      expect(atRefresh, code).not.toBe('INVALID_CREDENTIALS');
      const ends = atRefresh === 'SESSION_EXPIRED' || atRefresh === 'SESSION_REVOKED';
      // Only a 400/401 answer about the credentials or the session itself ends a session.
      if (ends) expect([400, 401], code).toContain(status);
    }
  });

  it('names revocation for the codes that mean it, and passing trouble as such', () => {
    const revoked = ERROR_CODE_LIST.filter((code) => authFailureFor('refresh', ERROR_CODES[code].status, code) === 'SESSION_REVOKED');
    expect(revoked.sort()).toEqual(['REFRESH_TOKEN_REUSED', 'SESSION_REVOKED']);
    const unreachable = ERROR_CODE_LIST.filter((code) => authFailureFor('refresh', ERROR_CODES[code].status, code) === 'SERVER_UNREACHABLE');
    expect(unreachable.sort()).toEqual(['GATE_UNREACHABLE', 'PACS_UNREACHABLE', 'REQUEST_TIMEOUT', 'SERVICE_UNAVAILABLE', 'TOO_MANY_REQUESTS']);
  });
});
