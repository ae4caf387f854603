import { randomUUID } from 'node:crypto';
import {
  SignJWT,
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyObject,
} from 'jose';
import type { ACCESS_TOKEN_ALGORITHMS } from '../config-schema.ts';
import { roleSchema } from '@reading-station/contract';
import type { Role } from '../users/roles.ts';

/** Asymmetric algorithms only: the gate never holds a shared secret an attacker could sign with. */
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];

export type TokenFailure = 'TOKEN_MISSING' | 'TOKEN_EXPIRED' | 'TOKEN_NOT_YET_VALID' | 'TOKEN_INVALID';

/** Why a token was refused: a code for the client and the audit log, a reason for the log only. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly code: TokenFailure;
  constructor(code: TokenFailure, reason: string) {
    super(reason);
    this.code = code;
  }
}

export interface AccessTokenSubject {
  /** The user's id in this registry (`sub`). */
  userId: string;
  username: string;
  role: Role;
  /** The refresh-token family this access token was issued under: revoking it ends the session. */
  sessionId?: string;
}

export interface VerifiedAccessToken extends AccessTokenSubject {
  tokenId: string | undefined;
  /** Whether the gate itself issued the token (else a hospital IdP did). */
  local: boolean;
  /** The verified `iss`: with `userId` (the `sub`), what links an IdP token to a local account. */
  issuer: string;
  expiresAt: Date;
}

type SigningKey = CryptoKey | KeyObject;

export interface AccessTokenIssuerOptions {
  privateKey: SigningKey;
  algorithm: AccessTokenAlgorithm;
  keyId: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now?: () => number;
}

export function createAccessTokenIssuer(options: AccessTokenIssuerOptions) {
  const now = options.now ?? Date.now;
  return {
    ttlSeconds: options.ttlSeconds,
    async issue(subject: AccessTokenSubject): Promise<{ token: string; expiresAt: Date }> {
      const issuedAt = Math.floor(now() / 1000);
      const expiresAt = issuedAt + options.ttlSeconds;
      const token = await new SignJWT({
        role: subject.role,
        preferred_username: subject.username,
        ...(subject.sessionId ? { sid: subject.sessionId } : {}),
      })
        .setProtectedHeader({ alg: options.algorithm, kid: options.keyId, typ: 'at+jwt' })
        .setSubject(subject.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(randomUUID())
        .sign(options.privateKey);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
  };
}

export type AccessTokenIssuer = ReturnType<typeof createAccessTokenIssuer>;

export interface AccessTokenVerifierOptions {
  /** The gate's own public key, a JWKS document, or a hospital IdP's JWKS URL. */
  key: SigningKey | { jwks: { keys: object[] } } | { jwksUrl: URL };
  algorithms: readonly AccessTokenAlgorithm[];
  issuer: string;
  audience: string;
  /** Claim that carries the role (an IdP may call it `roles` or `realm_access.role`). */
  roleClaim?: string;
  /** Claim that carries the login name. */
  usernameClaim?: string;
  clockToleranceSeconds?: number;
  now?: () => number;
  /** Tokens this gate issued (true) or a hospital IdP's (false). */
  local?: boolean;
}

function claimAt(payload: JWTPayload, claimPath: string): unknown {
  let node: unknown = payload;
  for (const key of claimPath.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions) {
  let getKey: SigningKey | JWTVerifyGetKey;
  if ('jwksUrl' in options.key) getKey = createRemoteJWKSet(options.key.jwksUrl, { timeoutDuration: 5000 });
  else if ('jwks' in options.key) getKey = createLocalJWKSet(options.key.jwks as Parameters<typeof createLocalJWKSet>[0]);
  else getKey = options.key;
  const roleClaim = options.roleClaim ?? 'role';
  const usernameClaim = options.usernameClaim ?? 'preferred_username';
  const now = options.now;

  return {
    async verify(token: string | undefined): Promise<VerifiedAccessToken> {
      if (!token) throw new TokenError('TOKEN_MISSING', 'no bearer token');
      let payload: JWTPayload;
      try {
        const verifyOptions = {
          algorithms: [...options.algorithms],
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['exp', 'sub', 'iat'],
          clockTolerance: options.clockToleranceSeconds ?? 5,
          ...(now ? { currentDate: new Date(now()) } : {}),
        };
        const result =
          typeof getKey === 'function'
            ? await jwtVerify(token, getKey, verifyOptions)
            : await jwtVerify(token, getKey, verifyOptions);
        payload = result.payload;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new TokenError('TOKEN_EXPIRED', 'token expired');
        if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
          throw new TokenError('TOKEN_NOT_YET_VALID', 'token not yet valid');
        }
        if (error instanceof joseErrors.JOSEError) throw new TokenError('TOKEN_INVALID', `${error.code}: ${error.message}`);
        throw new TokenError('TOKEN_INVALID', 'token could not be verified');
      }
      const role = roleSchema.safeParse(claimAt(payload, roleClaim));
      if (!role.success) throw new TokenError('TOKEN_INVALID', `token has no valid "${roleClaim}" claim`);
      const username = claimAt(payload, usernameClaim);
      return {
        userId: payload.sub as string,
        username: typeof username === 'string' ? username : (payload.sub as string),
        role: role.data,
        tokenId: payload.jti,
        local: options.local ?? true,
        issuer: options.issuer,
        ...(typeof payload.sid === 'string' ? { sessionId: payload.sid } : {}),
        expiresAt: new Date((payload.exp as number) * 1000),
      };
    },
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

/** The bearer token of an Authorization header, or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*\.[A-Za-z0-9\-_]*)$/.exec(header.trim());
  return match?.[1] ?? (header.startsWith('Bearer ') ? header.slice(7).trim() || undefined : undefined);
}
