import { decodeJwt } from 'jose';
import type { AuthConfig } from '../config.ts';
import { createAccessTokenVerifier, TokenError, type AccessTokenVerifier, type VerifiedAccessToken } from './access-tokens.ts';
import type { SigningKey } from './signing-key.ts';

/**
 * Verifies access tokens from the gate itself and, when configured, from the hospital's identity
 * provider. The unverified `iss` only chooses which verifier runs; each verifier pins its own key,
 * algorithms, issuer and audience.
 */
export function createTokenAuthenticator(auth: AuthConfig, key: SigningKey): AccessTokenVerifier {
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
  return {
    async verify(token: string | undefined): Promise<VerifiedAccessToken> {
      if (!token || !idp) return local.verify(token);
      let issuer: unknown;
      try {
        issuer = decodeJwt(token).iss;
      } catch {
        throw new TokenError('TOKEN_INVALID', 'malformed token');
      }
      return issuer === auth.idp?.issuer ? idp.verify(token) : local.verify(token);
    },
  };
}
