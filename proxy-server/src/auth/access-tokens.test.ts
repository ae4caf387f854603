import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearerToken, createAccessTokenIssuer, createAccessTokenVerifier, TokenError } from './access-tokens.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuer = 'https://reading-station.test';
const audience = 'reading-station-dicomweb';
const subject = { userId: '42', username: 'rad.curie', role: 'radiologist' as const };

const issue = createAccessTokenIssuer({ privateKey, algorithm: 'ES256', keyId: 'k1', issuer, audience, ttlSeconds: 300 });
const verifier = createAccessTokenVerifier({ key: publicKey, algorithms: ['ES256'], issuer, audience });

async function failure(token: string | undefined): Promise<string> {
  try {
    await verifier.verify(token);
  } catch (error) {
    if (error instanceof TokenError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

describe('access tokens', () => {
  it('verify what the issuer signed, with subject, name and role', async () => {
    const { token, expiresAt } = await issue.issue(subject);
    const verified = await verifier.verify(token);
    expect(verified).toMatchObject({ userId: '42', username: 'rad.curie', role: 'radiologist' });
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(290_000);
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' });
  });

  it('refuse a missing token', async () => {
    expect(await failure(undefined)).toBe('TOKEN_MISSING');
  });

  it('refuse an expired token', async () => {
    const past = createAccessTokenIssuer({ privateKey, algorithm: 'ES256', keyId: 'k1', issuer, audience, ttlSeconds: 60, now: () => Date.now() - 3_600_000 });
    expect(await failure((await past.issue(subject)).token)).toBe('TOKEN_EXPIRED');
  });

  it('refuse a token that is not yet valid', async () => {
    const future = createAccessTokenIssuer({ privateKey, algorithm: 'ES256', keyId: 'k1', issuer, audience, ttlSeconds: 60, now: () => Date.now() + 3_600_000 });
    expect(await failure((await future.issue(subject)).token)).toBe('TOKEN_NOT_YET_VALID');
  });

  it('refuse the wrong issuer and the wrong audience', async () => {
    const wrongIssuer = createAccessTokenIssuer({ privateKey, algorithm: 'ES256', keyId: 'k1', issuer: 'https://evil.test', audience, ttlSeconds: 60 });
    const wrongAudience = createAccessTokenIssuer({ privateKey, algorithm: 'ES256', keyId: 'k1', issuer, audience: 'other', ttlSeconds: 60 });
    expect(await failure((await wrongIssuer.issue(subject)).token)).toBe('TOKEN_INVALID');
    expect(await failure((await wrongAudience.issue(subject)).token)).toBe('TOKEN_INVALID');
  });

  it('refuse alg:none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = new UnsecuredJWT({ role: 'admin' }).setSubject('1').setIssuer(issuer).setAudience(audience).setIssuedAt(now).setExpirationTime(now + 60).encode();
    expect(await failure(token)).toBe('TOKEN_INVALID');
  });

  it('refuse HS256 signed with the public key (algorithm confusion)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify({ sub: '1', role: 'admin', iss: issuer, aud: audience, iat: now, nbf: now, exp: now + 60 }));
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    const signature = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
    expect(await failure(`${header}.${payload}.${signature}`)).toBe('TOKEN_INVALID');
  });

  it('refuse a tampered payload', async () => {
    const { token } = await issue.issue({ ...subject, role: 'patient' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = b64url(JSON.stringify({ ...claims, role: 'admin' }));
    expect(await failure(`${header}.${forged}.${signature}`)).toBe('TOKEN_INVALID');
  });

  it('refuse a token signed by another key', async () => {
    const stranger = createAccessTokenIssuer({ privateKey: other.privateKey, algorithm: 'ES256', keyId: 'k1', issuer, audience, ttlSeconds: 60 });
    expect(await failure((await stranger.issue(subject)).token)).toBe('TOKEN_INVALID');
  });

  it('refuse a token without a known role', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setSubject('1').setIssuer(issuer).setAudience(audience).setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey);
    expect(await failure(await sign({}))).toBe('TOKEN_INVALID');
    expect(await failure(await sign({ role: 'superuser' }))).toBe('TOKEN_INVALID');
  });

  it('read the role from an IdP claim path', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ realm_access: { role: 'doctor' }, preferred_username: 'dr.x' })
      .setProtectedHeader({ alg: 'ES256' }).setSubject('abc').setIssuer(issuer).setAudience(audience).setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey);
    const idp = createAccessTokenVerifier({ key: publicKey, algorithms: ['ES256'], issuer, audience, roleClaim: 'realm_access.role' });
    expect(await idp.verify(token)).toMatchObject({ userId: 'abc', username: 'dr.x', role: 'doctor' });
  });
});

describe('bearerToken', () => {
  it('takes the token of a Bearer header only', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
  });
});
