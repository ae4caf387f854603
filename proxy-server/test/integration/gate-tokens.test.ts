import { createHmac, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditRows, bearer, call, callFrom, demoUser, freshLoopbackAddress, login, runningStack, type RunningStack } from '../support/gate-client.ts';

let stack: RunningStack;
let signingKey: KeyObject;
let study: string;
let userId: number;

beforeAll(async () => {
  stack = runningStack();
  const config = JSON.parse(readFileSync(stack.gate.configFile, 'utf8')) as { auth: { signingKeyFile: string } };
  signingKey = createPrivateKey(readFileSync(config.auth.signingKeyFile, 'utf8'));
  study = demoUser(stack, 'rad.chen').studies[0]!;
  userId = (await login(stack, 'rad.chen')).user.id;
});

const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function claims(overrides: Record<string, unknown> = {}) {
  return { sub: String(userId), role: 'radiologist', preferred_username: 'rad.chen', iss: 'reading-station', aud: 'reading-station-dicomweb', iat: now(), nbf: now(), exp: now() + 120, ...overrides };
}

async function signed(overrides: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims(overrides)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).sign(signingKey);
}

/**
 * Asks for metadata with a token; expects 401 and an audit row saying why. Sent from an address of
 * its own: rejections that name no user are audited once per kind and address per interval (the
 * rest as a count), and each of these must get its own row.
 */
async function expectRejected(token: string | undefined, code: string): Promise<void> {
  const reply = await callFrom(stack, freshLoopbackAddress(), `/api/ris/dicom-web/studies/${study}/metadata`, { headers: token === undefined ? {} : bearer(token) });
  expect(reply.status, reply.text).toBe(401);
  const body = JSON.parse(reply.text) as { error: string; code: string; requestId: string };
  expect(body).toMatchObject({ error: 'authentication failed', code });
  expect(body.requestId).toBe(reply.requestId);
  const rows = auditRows(stack, [reply.requestId!]);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ action: 'TOKEN_REJECTED', result: 'denied' });
  expect(String(rows[0]!.reason)).toContain(code);
  expect(reply.text).not.toContain('00080005');
}

describe('token attacks are refused with 401 and audited', () => {
  it('a correctly signed token works (the forgery below is the only difference)', async () => {
    const reply = await call(stack, `/api/ris/dicom-web/studies/${study}/metadata`, { headers: bearer(await signed()) });
    expect(reply.status).toBe(200);
  });

  it('missing', () => expectRejected(undefined, 'TOKEN_MISSING'));
  it('garbage', () => expectRejected('not-a-jwt', 'TOKEN_INVALID'));
  it('expired', async () => expectRejected(await signed({ iat: now() - 600, nbf: now() - 600, exp: now() - 300 }), 'TOKEN_EXPIRED'));
  it('not yet valid', async () => expectRejected(await signed({ nbf: now() + 600, exp: now() + 900 }), 'TOKEN_NOT_YET_VALID'));
  it('wrong issuer', async () => expectRejected(await signed({ iss: 'https://evil.example' }), 'TOKEN_INVALID'));
  it('wrong audience', async () => expectRejected(await signed({ aud: 'another-service' }), 'TOKEN_INVALID'));
  it('alg: none', async () => expectRejected(new UnsecuredJWT(claims({ role: 'admin' })).encode(), 'TOKEN_INVALID'));
  it('HS256 signed with the server’s public key', async () => {
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    const payload = b64(claims({ role: 'radiologist' }));
    const publicKey = createPublicKey(signingKey);
    for (const encoded of [publicKey.export({ type: 'spki', format: 'pem' }), publicKey.export({ type: 'spki', format: 'der' })]) {
      const signature = createHmac('sha256', encoded).update(`${header}.${payload}`).digest('base64url');
      await expectRejected(`${header}.${payload}.${signature}`, 'TOKEN_INVALID');
    }
  });
  it('tampered payload (role raised to admin)', async () => {
    const token = (await login(stack, 'pat.smith')).accessToken;
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' });
    await expectRejected(`${header}.${forged}.${signature}`, 'TOKEN_INVALID');
  });
  it('a role the registry does not give the account', async () => expectRejected(await signed({ role: 'admin' }), 'TOKEN_INVALID'));
});

describe('refresh tokens', () => {
  async function refresh(refreshToken: string) {
    return call(stack, '/api/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken, client: 'desktop' }),
    });
  }

  it('rotate on every refresh; reusing a rotated one revokes the whole session, access tokens included', async () => {
    const first = await login(stack, 'dr.grey');
    const second = await refresh(first.refreshToken!);
    expect(second.status).toBe(200);
    const rotated = JSON.parse(second.text) as { accessToken: string; refreshToken: string };
    expect(rotated.refreshToken).not.toBe(first.refreshToken);
    const target = `/api/ris/dicom-web/studies/${demoUser(stack, 'dr.grey').studies[0]}/series`;
    expect((await call(stack, target, { headers: bearer(rotated.accessToken) })).status).toBe(200);

    // The first token, replayed (say, stolen from a backup): refused, and the family is revoked.
    const replay = await refresh(first.refreshToken!);
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.text)).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
    const replayRows = auditRows(stack, [replay.requestId!]);
    expect(replayRows[0]).toMatchObject({ action: 'TOKEN_REUSE_DETECTED', username: 'dr.grey' });

    // The legitimate successor is dead too, and so is the access token issued with it.
    expect((await refresh(rotated.refreshToken)).status).toBe(401);
    const revoked = await call(stack, target, { headers: bearer(rotated.accessToken) });
    expect(revoked.status).toBe(401);
    expect(JSON.parse(revoked.text)).toMatchObject({ code: 'SESSION_REVOKED' });
  });

  it('logout ends the session server-side', async () => {
    const session = await login(stack, 'rad.okafor');
    const out = await call(stack, '/api/auth/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: session.refreshToken }),
    });
    expect(out.status).toBe(204);
    expect((await refresh(session.refreshToken!)).status).toBe(401);
    const target = `/api/ris/dicom-web/studies/${demoUser(stack, 'rad.okafor').studies[0]}/series`;
    expect((await call(stack, target, { headers: bearer(session.accessToken) })).status).toBe(401);
  });

  it('web clients get the refresh token only as an HttpOnly, Secure, SameSite=Strict cookie scoped to /api/auth', async () => {
    const { password } = demoUser(stack, 'pat.doe');
    const reply = await call(stack, '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'pat.doe', password }),
    });
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.text) as Record<string, unknown>;
    expect(body.refreshToken).toBeUndefined();
    const cookie = reply.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^rs_refresh=[A-Za-z0-9_-]{43};/);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/api/auth']) expect(cookie).toContain(attribute);
    const again = await call(stack, '/api/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookie.split(';')[0]! },
      body: '{}',
    });
    expect(again.status).toBe(200);
    expect(again.headers.get('set-cookie')).not.toBe(cookie);
  });
});

describe('login', () => {
  it('wrong passwords are 401 and audited; repeated failures lock the account with 429 and Retry-After', async () => {
    const attempt = (password: string) =>
      call(stack, '/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'no.such.user', password }),
      });
    const first = await attempt('wrong-password-1');
    expect(first.status).toBe(401);
    expect(JSON.parse(first.text)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(auditRows(stack, [first.requestId!])[0]).toMatchObject({ action: 'LOGIN_FAILED', username: 'no.such.user', reason: 'unknown_user' });
    for (let i = 2; i <= 5; i++) await attempt(`wrong-password-${i}`);
    const locked = await attempt('wrong-password-6');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.parse(locked.text)).toMatchObject({ code: 'LOGIN_LOCKED_OUT' });
    // Only that account is locked: others still log in from the same address.
    expect((await login(stack, 'admin')).user.username).toBe('admin');
  });

  it('a malformed body is a 400 JSON error', async () => {
    const reply = await call(stack, '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": 5}' });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
