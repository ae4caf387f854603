import { decodeJwt } from 'jose';
import type { AuthConfig } from '../config-schema.ts';
import { createAccessTokenVerifier, TokenError, type AccessTokenVerifier, type VerifiedAccessToken } from './access-tokens.ts';
import type { SigningKey } from './signing-key.ts';

/**
 * Verifies access tokens from the gate itself and, when configured, from the hospital's identity
 * provider. The unverified `iss` only chooses which verifier runs; each verifier pins its own key,
 * algorithms, issuer and audience.
 */
export function createTokenAuthenticator(auth: AuthConfig, key: SigningKey, options: { now?: () => number } = {}): AccessTokenVerifier {
  const local = createAccessTokenVerifier({
    key: key.publicKey,
    algorithms: [auth.algorithm],
    issuer: auth.issuer,
    audience: auth.audience,
    local: true,
  });
  const idp = auth.idp
    ? createAccessTokenVerifier({
        key: { jwksUrl: new URL(auth.idp.jwksUrl) },
        algorithms: auth.idp.algorithms,
        issuer: auth.idp.issuer,
        audience: auth.idp.audience,
        roleClaim: auth.idp.roleClaim,
        usernameClaim: auth.idp.usernameClaim,
        local: false,
      })
    : undefined;
  const verifyOnce = async (token: string | undefined): Promise<VerifiedAccessToken> => {
    if (!token || !idp) return local.verify(token);
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new TokenError('TOKEN_INVALID', 'malformed token');
    }
    return issuer === auth.idp?.issuer ? idp.verify(token) : local.verify(token);
  };
  return withVerifiedTokenCache(verifyOnce, options);
}

/**
 * A viewer sends the same access token with every frame it loads. Checking its signature once
 * and remembering the verified claims until the token expires saves the signature check (most of
 * the gate's CPU per request) on every later request. Keyed by the whole token, so a changed byte
 * is a miss and is verified in full; bounded, oldest entries go first.
 */
export function withVerifiedTokenCache(
  verify: (token: string | undefined) => Promise<VerifiedAccessToken>,
  { maxEntries = 10_000, now = Date.now }: { maxEntries?: number; now?: () => number } = {},
): AccessTokenVerifier {
  const cache = new Map<string, VerifiedAccessToken>();
  return {
    async verify(token: string | undefined): Promise<VerifiedAccessToken> {
      if (token) {
        const hit = cache.get(token);
        if (hit) {
          if (hit.expiresAt.getTime() > now()) return hit;
          cache.delete(token);
          throw new TokenError('TOKEN_EXPIRED', 'token expired');
        }
      }
      const verified = await verify(token);
      if (token) {
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
        cache.set(token, verified);
      }
      return verified;
    },
  };
}
