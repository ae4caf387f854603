import fastifyCookie, { type CookieSerializeOptions } from '@fastify/cookie';
import {
  AUTH_PATHS,
  REFRESH_COOKIE,
  REFRESH_COOKIE_PATH,
  loginRequestSchema,
  logoutRequestSchema,
  refreshRequestSchema,
  type ClientKind,
  type DesktopTokenResponse,
  type SessionUser,
  type WebTokenResponse,
} from '@reading-station/contract';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuditUnavailableError, type AuditEvent } from '../audit/audit-events.ts';
import type { GateServices } from '../gate-services.ts';
import { sendErrorBody as sendError } from '../http/http-errors.ts';
import { findUserById, verifyCredentials, type User } from '../users/user-repository.ts';
import { normalizeUsername } from '../users/username.ts';
import type { AccessTokenIssuer } from './access-tokens.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { IssuedRefreshToken, RefreshTokenStore } from './refresh-tokens.ts';

export interface AuthServices extends GateServices {
  issuer: AccessTokenIssuer;
  refreshTokens: RefreshTokenStore;
  throttle: LoginThrottle;
  /** Set the cookie's Secure flag (on for every deployment; browsers accept it on localhost). */
  secureCookies: boolean;
}

class AuditFailed extends Error {}

function publicUser(user: User): SessionUser {
  return { id: user.id, username: user.username, displayName: user.displayName, role: user.role };
}

/**
 * `POST /api/auth/login`, `/refresh`, `/logout`: sessions. These take a password or a refresh
 * token, never an access token. Requests and answers are the contract's (auth-schemas.ts): the
 * refresh cookie (`rs_refresh`, Path=/api/auth) for web clients, the body for desktop ones. Cookies (the browser's refresh token) are read and written through
 * @fastify/cookie, registered in this plugin's scope only: no other route parses cookies.
 */
export const authRoutes: FastifyPluginAsync<AuthServices> = async (app, services) => {
  await app.register(fastifyCookie);
  const cookieAttributes: CookieSerializeOptions = { path: REFRESH_COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: services.secureCookies };

  const audit = async (request: FastifyRequest, event: AuditEvent): Promise<void> => {
    try {
      await services.audit.append({
        requestId: request.id,
        clientIp: services.clientAddress(request),
        userAgent: request.headers['user-agent'],
        ...event,
      });
    } catch (error) {
      if (error instanceof AuditUnavailableError) throw new AuditFailed(error.message);
      throw error;
    }
  };

  const setRefreshCookie = (reply: FastifyReply, refresh: IssuedRefreshToken | undefined) => {
    if (refresh === undefined) {
      // Max-Age=0 (and an Expires in 1970): the browser drops the cookie.
      reply.clearCookie(REFRESH_COOKIE, cookieAttributes);
      return;
    }
    const maxAge = Math.max(0, Math.floor((refresh.expiresAt.getTime() - Date.now()) / 1000));
    reply.setCookie(REFRESH_COOKIE, refresh.token, { ...cookieAttributes, maxAge });
  };

  const session = async (reply: FastifyReply, user: User, refresh: IssuedRefreshToken, client: ClientKind) => {
    const access = await services.issuer.issue({
      userId: String(user.id),
      username: user.username,
      role: user.role,
      sessionId: refresh.familyId,
    });
    if (client === 'web') setRefreshCookie(reply, refresh);
    const answer: WebTokenResponse = {
      accessToken: access.token,
      tokenType: 'Bearer',
      expiresIn: services.issuer.ttlSeconds,
      expiresAt: access.expiresAt.toISOString(),
      user: publicUser(user),
    };
    const body: WebTokenResponse | DesktopTokenResponse =
      client === 'desktop' ? { ...answer, refreshToken: refresh.token, refreshExpiresAt: refresh.expiresAt.toISOString() } : answer;
    return reply.header('cache-control', 'no-store').send(body);
  };

  const guarded =
    (handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        return await handler(request, reply);
      } catch (error) {
        if (error instanceof AuditFailed) {
          request.log.error({ err: error }, 'audit store unavailable');
          return sendError(reply, 503, 'AUDIT_UNAVAILABLE', 'audit store unavailable; try again later');
        }
        throw error;
      }
    };

  app.post(
    AUTH_PATHS.login,
    guarded(async (request, reply) => {
      const body = loginRequestSchema.safeParse(request.body);
      if (!body.success) return sendError(reply, 400, 'INVALID_REQUEST', 'username and password are required');
      // One canonical form from here on: the throttle, the account lookup and the audit row all
      // see the same name, whatever spaces or case the client sent.
      const username = normalizeUsername(body.data.username);
      const { password, client } = body.data;
      const address = services.clientAddress(request);

      // Counted now, before the password is checked, so parallel attempts cannot pass together.
      const admission = services.throttle.admit(username, address);
      if (!admission.admitted) {
        const wait = admission.retryAfterSeconds;
        services.metrics?.logins.inc({ result: 'locked_out' });
        await audit(request, { action: 'LOGIN_LOCKED_OUT', result: 'denied', username, reason: `locked for ${wait} s` });
        return sendError(reply.header('retry-after', String(wait)), 429, 'LOGIN_LOCKED_OUT', `too many failed logins; try again in ${wait} seconds`);
      }
      const check = await verifyCredentials(services.db, username, password);
      if (!check.ok) {
        services.metrics?.logins.inc({ result: 'failure' });
        const locked = services.throttle.failed(admission.attempt);
        await audit(request, {
          action: 'LOGIN_FAILED',
          result: 'failure',
          username,
          userId: check.user?.id,
          role: check.user?.role,
          reason: check.reason,
        });
        if (locked) await audit(request, { action: 'LOGIN_LOCKED_OUT', result: 'denied', username, reason: 'failure limit reached' });
        return sendError(reply, 401, 'INVALID_CREDENTIALS', 'authentication failed: wrong username or password');
      }
      services.throttle.succeeded(admission.attempt);
      services.metrics?.logins.inc({ result: 'success' });
      const user = check.user;
      const refresh = await services.refreshTokens.issue(user.id, { userAgent: request.headers['user-agent'] });
      await audit(request, { action: 'LOGIN', result: 'success', userId: user.id, username: user.username, role: user.role, reason: client });
      return session(reply, user, refresh, client);
    }),
  );

  app.post(
    AUTH_PATHS.refresh,
    guarded(async (request, reply) => {
      const body = refreshRequestSchema.safeParse(request.body ?? {});
      if (!body.success) return sendError(reply, 400, 'INVALID_REQUEST', 'malformed refresh request');
      // The answer follows where the token came from, not what the body asks for: a token read
      // from the HttpOnly cookie is answered with a cookie only, never in a body page script could
      // read (`client` in the body does not change that).
      const client: ClientKind = body.data.refreshToken !== undefined ? 'desktop' : 'web';
      const token = body.data.refreshToken ?? request.cookies[REFRESH_COOKIE];
      if (!token) {
        await audit(request, { action: 'TOKEN_REFRESH_FAILED', result: 'failure', reason: 'no refresh token' });
        return sendError(reply, 401, 'SESSION_EXPIRED', 'authentication failed: no session; log in again');
      }
      const rotation = await services.refreshTokens.rotate(token, { userAgent: request.headers['user-agent'] });
      if (!rotation.ok) {
        const user = rotation.userId ? await findUserById(services.db, rotation.userId) : undefined;
        const who = { userId: user?.id, username: user?.username, role: user?.role };
        if (client === 'web') setRefreshCookie(reply, undefined);
        if (rotation.reason === 'reused') {
          await audit(request, { ...who, action: 'TOKEN_REUSE_DETECTED', result: 'denied', reason: `family ${rotation.familyId} revoked` });
          return sendError(reply, 401, 'REFRESH_TOKEN_REUSED', 'authentication failed: this session was ended for safety; log in again');
        }
        await audit(request, { ...who, action: 'TOKEN_REFRESH_FAILED', result: 'failure', reason: rotation.reason });
        return sendError(reply, 401, 'SESSION_EXPIRED', 'authentication failed: the session has ended; log in again');
      }
      const user = await findUserById(services.db, rotation.userId);
      if (!user || user.disabled) {
        await services.refreshTokens.revokeFamilyOf(rotation.next.token);
        return sendError(reply, 401, 'SESSION_EXPIRED', 'authentication failed: the account is disabled');
      }
      await audit(request, { action: 'TOKEN_REFRESH', result: 'success', userId: user.id, username: user.username, role: user.role });
      return session(reply, user, rotation.next, client);
    }),
  );

  app.post(
    AUTH_PATHS.logout,
    guarded(async (request, reply) => {
      const body = logoutRequestSchema.safeParse(request.body ?? {});
      const token = (body.success ? body.data.refreshToken : undefined) ?? request.cookies[REFRESH_COOKIE];
      const userId = token ? await services.refreshTokens.revokeFamilyOf(token) : undefined;
      const user = userId ? await findUserById(services.db, userId) : undefined;
      await audit(request, { action: 'LOGOUT', result: 'success', userId: user?.id, username: user?.username, role: user?.role });
      setRefreshCookie(reply, undefined);
      return reply.code(204).header('cache-control', 'no-store').send();
    }),
  );
};
