import { describe, expect, it } from 'vitest';
import { renewalLeadMs } from '@reading-station/contract';
import type { Session, SessionEndReason } from './bridge-contract.ts';
import { createWebBridge } from './web-bridge.ts';

const ORIGIN = 'https://reading.example';

interface Call {
  url: string;
  body: unknown;
  headers: Record<string, string>;
}

/** A scripted auth server: each POST path answers from its queue, and every call is recorded. */
function fakeServer(now: () => number) {
  const calls: Call[] = [];
  let issued = 0;
  const tokenBody = (ttlSeconds = 30) => {
    issued += 1;
    return {
      accessToken: `access-${issued}`,
      tokenType: 'Bearer',
      expiresIn: ttlSeconds,
      expiresAt: new Date(now() + ttlSeconds * 1000).toISOString(),
      user: { id: 7, username: 'rad.chen', displayName: 'Dr. Mei Chen', role: 'radiologist' },
    };
  };
  const answers = new Map<string, Array<() => Response>>();
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    calls.push({ url, body: JSON.parse(String(init?.body ?? 'null')), headers: { ...(init?.headers as Record<string, string>) } });
    const path = url.slice(ORIGIN.length);
    const next = answers.get(path)?.shift();
    if (!next) throw new Error(`unexpected request ${path}`);
    // Let concurrent callers pile up before the answer, as on a real network.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return next();
  };
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
  return {
    calls,
    fetch,
    answer(path: string, ...responses: Array<() => Response>) {
      answers.set(path, [...(answers.get(path) ?? []), ...responses]);
    },
    ok: (ttlSeconds?: number) => () => json(200, tokenBody(ttlSeconds))(),
    json,
  };
}

function setup() {
  let clock = Date.parse('2026-11-27T10:00:00Z');
  const now = () => clock;
  const server = fakeServer(now);
  const bridge = createWebBridge({ origin: ORIGIN, fetch: server.fetch, now, locks: null });
  const changes: Array<[Session | null, SessionEndReason | undefined]> = [];
  bridge.onSessionChange((session, reason) => changes.push([session, reason]));
  return { bridge, server, changes, advance: (ms: number) => (clock += ms) };
}

describe('web bridge', () => {
  it('logs in as a web client and keeps the access token in memory', async () => {
    const { bridge, server, changes } = setup();
    server.answer('/api/auth/login', server.ok());
    const result = await bridge.login({ username: 'rad.chen', password: 'pw' });
    expect(result.ok).toBe(true);
    expect(server.calls[0]?.body).toEqual({ username: 'rad.chen', password: 'pw', client: 'web' });
    expect(await bridge.getAccessToken()).toBe('access-1');
    expect(changes.map(([s]) => s?.user.username)).toEqual(['rad.chen']);
    expect((await bridge.currentSession())?.serverUrl).toBe(ORIGIN);
  });

  it('renews shortly before expiry and shares one refresh between concurrent callers', async () => {
    const { bridge, server, advance } = setup();
    server.answer('/api/auth/login', server.ok(30));
    server.answer('/api/auth/refresh', server.ok(30));
    await bridge.login({ username: 'rad.chen', password: 'pw' });
    advance(30_000 - renewalLeadMs(30_000) - 1);
    expect(await bridge.getAccessToken()).toBe('access-1');
    advance(2);
    const tokens = await Promise.all([bridge.getAccessToken(), bridge.getAccessToken(), bridge.refreshAccessToken()]);
    expect(tokens).toEqual(['access-2', 'access-2', 'access-2']);
    expect(server.calls.filter((c) => c.url.endsWith('/refresh'))).toHaveLength(1);
    expect(server.calls[1]?.body).toEqual({});
  });

  it('ends the session when the server refuses the refresh, naming revocation', async () => {
    const { bridge, server, changes } = setup();
    server.answer('/api/auth/login', server.ok());
    server.answer('/api/auth/refresh', server.json(401, { error: 'reused', code: 'REFRESH_TOKEN_REUSED' }));
    await bridge.login({ username: 'rad.chen', password: 'pw' });
    expect(await bridge.refreshAccessToken()).toBeNull();
    expect(await bridge.getAccessToken()).toBeNull();
    expect(changes.at(-1)).toEqual([null, 'revoked']);
  });

  it('keeps the session when the server is only unreachable', async () => {
    const { bridge, server } = setup();
    server.answer('/api/auth/login', server.ok());
    server.answer('/api/auth/refresh', server.json(502, { code: 'GATE_UNREACHABLE' }));
    await bridge.login({ username: 'rad.chen', password: 'pw' });
    await expect(bridge.refreshAccessToken()).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE', serverCode: 'GATE_UNREACHABLE' });
    expect(await bridge.getAccessToken()).toBe('access-1');
  });

  it('restores a session from the cookie once, and reports none without it', async () => {
    const first = setup();
    first.server.answer('/api/auth/refresh', first.server.ok());
    const [a, b] = await Promise.all([first.bridge.currentSession(), first.bridge.currentSession()]);
    expect(a?.user.username).toBe('rad.chen');
    expect(b).toBe(a);
    expect(first.server.calls).toHaveLength(1);

    const second = setup();
    second.server.answer('/api/auth/refresh', second.server.json(401, { code: 'SESSION_EXPIRED' }));
    expect(await second.bridge.currentSession()).toBeNull();
    expect(second.changes).toEqual([]);
  });

  it('says why a login failed', async () => {
    const { bridge, server } = setup();
    server.answer(
      '/api/auth/login',
      server.json(401, { code: 'INVALID_CREDENTIALS' }),
      server.json(429, { code: 'LOGIN_LOCKED_OUT' }, { 'Retry-After': '42' }),
      server.json(503, { code: 'AUDIT_UNAVAILABLE' }),
    );
    expect(await bridge.login({ username: 'x', password: 'y' })).toMatchObject({ ok: false, code: 'INVALID_CREDENTIALS' });
    expect(await bridge.login({ username: 'x', password: 'y' })).toMatchObject({
      ok: false,
      code: 'LOGIN_LOCKED_OUT',
      retryAfterSeconds: 42,
      message: expect.stringContaining('42 s'),
    });
    expect(await bridge.login({ username: 'x', password: 'y' })).toMatchObject({ ok: false, code: 'AUDIT_UNAVAILABLE' });
    expect(await bridge.login({ username: 'x', password: 'y' })).toMatchObject({ ok: false, code: 'SERVER_UNREACHABLE' });
  });

  it('ends the session as revoked when the server says it was ended there', async () => {
    const { bridge, server, changes } = setup();
    server.answer('/api/auth/login', server.ok());
    server.answer('/api/auth/refresh', server.json(401, { error: 'authentication failed', code: 'SESSION_REVOKED', requestId: 'r' }));
    await bridge.login({ username: 'rad.chen', password: 'pw' });
    expect(await bridge.refreshAccessToken()).toBeNull();
    expect(changes.at(-1)).toEqual([null, 'revoked']);
  });

  it('logs out with the bearer token and tells listeners', async () => {
    const { bridge, server, changes } = setup();
    server.answer('/api/auth/login', server.ok());
    server.answer('/api/auth/logout', () => new Response(null, { status: 204 }));
    await bridge.login({ username: 'rad.chen', password: 'pw' });
    await bridge.logout();
    expect(server.calls[1]?.headers.Authorization).toBe('Bearer access-1');
    expect(await bridge.getAccessToken()).toBeNull();
    expect(changes.at(-1)).toEqual([null, 'logout']);
  });
});
