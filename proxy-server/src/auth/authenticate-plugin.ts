import type { ErrorCode } from '@reading-station/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuditUnavailableError, type AuditEvent } from '../audit/audit-events.ts';
import type { RejectionRecorder } from '../audit/rejection-aggregator.ts';
import type { GateServices } from '../gate-services.ts';
import { sendErrorBody } from '../http/http-errors.ts';
import type { AccountRead, GateReads } from '../gate-reads.ts';
import { findUserByIdpIdentity, type User } from '../users/user-repository.ts';
import { TokenError, bearerToken, type AccessTokenVerifier, type VerifiedAccessToken } from './access-tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The account behind the request's access token, set before the handler of every route behind
     * `requireAuthentication`. Those scopes declare it (null until the hook runs); elsewhere it is
     * absent. Handlers read it with `authenticatedUser`.
     */
    user?: User | null;
  }
}

export interface AuthenticationServices extends GateServices {
  verifier: AccessTokenVerifier;
  /**
   * The account by id, whether a session (refresh-token family) was ended so its access tokens stop
   * at once, and the study lookups of the gate's decisions (gate-reads.ts).
   */
  reads: GateReads;
  /** Rejections that name no user go here, aggregated per kind and address; unset: one row each. */
  rejections?: RejectionRecorder | undefined;
}

/**
 * Makes every route of `scope` (the plugin it is called in, and the plugins that plugin registers)
 * need a valid access token. An `onRequest` hook verifies the bearer token and loads its account
 * into `request.user`; a refused token is audited (TOKEN_REJECTED) and answered 401 before any
 * handler runs, or 503 when that row cannot be written. Routes outside `scope` are untouched:
 * the hook lives in the protected routes' own encapsulation context, so call this in the plugin
 * that declares them, not in a parent.
 */
export function requireAuthentication(scope: FastifyInstance, services: AuthenticationServices): void {
  scope.decorateRequest('user', null);
  scope.addHook('onRequest', async (request, reply) => {
    const user = await authenticate(services, request, reply);
    if (user === undefined) return reply;
    request.user = user;
    return undefined;
  });
}

/** The account `requireAuthentication` loaded; a route outside its scope is a programming error. */
export function authenticatedUser(request: FastifyRequest): User {
  if (!request.user) throw new Error(`${request.method} ${request.routeOptions.url ?? request.url} is not behind requireAuthentication`);
  return request.user;
}

const AUTH_FAILED = 'authentication failed';

/** An IdP token's account, by its issuer and `sub`, and whether its session (if it names one) was ended. */
async function idpAccount(services: AuthenticationServices, token: VerifiedAccessToken): Promise<AccountRead> {
  const user = await findUserByIdpIdentity(services.db, token.issuer, token.userId);
  return { user, sessionRevoked: user !== undefined && token.sessionId !== undefined && (await services.reads.isSessionRevoked(token.sessionId)) };
}

/**
 * Authenticates the bearer token and loads the account behind it. Token failures are audited and
 * answered here; the caller gets the user, or nothing when the reply has been sent.
 */
async function authenticate(services: AuthenticationServices, request: FastifyRequest, reply: FastifyReply): Promise<User | undefined> {
  let reason: string;
  let code: ErrorCode;
  // Whether the rejection names an account: those rows are never aggregated.
  let identified = false;
  try {
    const token = await services.verifier.verify(bearerToken(request.headers.authorization));
    // The gate's own tokens name the account by id; an IdP's by its issuer and `sub`, linked by
    // `user link-idp` (never by a name claim, which can change). Either way the registry's account
    // decides: it must exist, be enabled and still have the token's role.
    const { user, sessionRevoked } = token.local
      ? /^[1-9][0-9]*$/.test(token.userId)
        ? await services.reads.account(Number(token.userId), token.sessionId)
        : { user: undefined, sessionRevoked: false }
      : await idpAccount(services, token);
    if (user && !user.disabled && user.role === token.role) {
      if (!sessionRevoked) return user;
      code = 'SESSION_REVOKED';
      reason = 'the session was ended';
      identified = true;
    } else {
      code = 'TOKEN_INVALID';
      reason = user ? 'account disabled or role changed' : 'no such account';
      identified = user !== undefined;
    }
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    code = error.code;
    reason = error.message;
  }
  services.metrics?.tokenRejections.inc({ code });
  const event: AuditEvent = {
    requestId: request.id,
    clientIp: services.clientAddress(request),
    userAgent: request.headers['user-agent'],
    action: 'TOKEN_REJECTED',
    result: 'denied',
    reason: `${code}: ${reason}`,
  };
  try {
    if (!identified && services.rejections !== undefined) await services.rejections.record(`TOKEN_REJECTED:${code}`, event);
    else await services.audit.append(event);
  } catch (error) {
    if (error instanceof AuditUnavailableError) {
      sendErrorBody(reply, 503, 'AUDIT_UNAVAILABLE', 'audit store unavailable; nothing was served');
      return undefined;
    }
    throw error;
  }
  reply.header('www-authenticate', `Bearer realm="reading-station", error="invalid_token"`);
  sendErrorBody(reply, 401, code, AUTH_FAILED);
  return undefined;
}
