import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config-schema.ts';
import { createAccessTokenIssuer, TokenError } from './access-tokens.ts';
import { loadSigningKey } from './signing-key.ts';
import { createTokenAuthenticator, withVerifiedTokenCache } from './token-authenticator.ts';

// A hospital IdP stand-in: a real HTTP server publishing a JWKS, as an IdP's discovery would.
const idpKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
let server: Server;
let jwksUrl: string;

beforeAll(async () => {
  const jwk = { ...(await exportJWK(idpKeys.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
  server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function authConfig() {
  return configSchema.parse({
    auth: { idp: { jwksUrl, issuer: 'https://idp.hospital.example', audience: 'reading-station', roleClaim: 'realm_access.role' } },
  }).auth;
}

const idpToken = (claims: Record<string, unknown>, issuer = 'https://idp.hospital.example') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
    .setSubject('f3a9c2')
    .setIssuer(issuer)
    .setAudience('reading-station')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(idpKeys.privateKey);

describe('createTokenAuthenticator', () => {
  it('accepts the gate’s own tokens and a configured IdP’s tokens, each with its own key', async () => {
    const auth = authConfig();
    const key = loadSigningKey(auth);
    const authenticator = createTokenAuthenticator(auth, key);
    const own = await createAccessTokenIssuer({ privateKey: key.privateKey, algorithm: 'ES256', keyId: key.keyId, issuer: auth.issuer, audience: auth.audience, ttlSeconds: 60 }).issue({
      userId: '3',
      username: 'rad.chen',
      role: 'radiologist',
      sessionId: 'family-1',
    });
    expect(await authenticator.verify(own.token)).toMatchObject({ local: true, userId: '3', sessionId: 'family-1' });

    const fromIdp = await idpToken({ preferred_username: 'rad.chen', realm_access: { role: 'radiologist' } });
    expect(await authenticator.verify(fromIdp)).toMatchObject({ local: false, username: 'rad.chen', role: 'radiologist' });
  });

  it('refuses an IdP-looking token signed by anyone else, and a local-looking one signed by the IdP', async () => {
    const auth = authConfig();
    const authenticator = createTokenAuthenticator(auth, loadSigningKey(auth));
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT({ preferred_username: 'admin', realm_access: { role: 'admin' } })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setSubject('x')
      .setIssuer('https://idp.hospital.example')
      .setAudience('reading-station')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(stranger.privateKey);
    await expect(authenticator.verify(forged)).rejects.toBeInstanceOf(TokenError);
    const misissued = await idpToken({ role: 'admin' }, auth.issuer);
    await expect(authenticator.verify(misissued)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});

describe('withVerifiedTokenCache', () => {
  it('verifies a token once, serves it from memory until it expires, then refuses it', async () => {
    let clock = 1_000_000;
    let calls = 0;
    const verifier = withVerifiedTokenCache(
      async (token) => {
        calls++;
        if (token !== 'good') throw new TokenError('TOKEN_INVALID', 'bad');
        return { userId: '1', username: 'u', role: 'admin', tokenId: undefined, local: true, issuer: 'reading-station', expiresAt: new Date(clock + 60_000) };
      },
      { now: () => clock, maxEntries: 2 },
    );
    await verifier.verify('good');
    await verifier.verify('good');
    expect(calls).toBe(1);
    // Failures are never cached: each one is checked again.
    await expect(verifier.verify('bad')).rejects.toBeInstanceOf(TokenError);
    await expect(verifier.verify('bad')).rejects.toBeInstanceOf(TokenError);
    expect(calls).toBe(3);
    clock += 60_001;
    await expect(verifier.verify('good')).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });
});
