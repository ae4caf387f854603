import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TokenError, bearerToken, type AccessTokenVerifier } from '../auth/access-tokens.ts';
import { AuditUnavailableError, type AuditAppender, type AuditEvent } from '../audit/audit-log.ts';
import type { RsDatabase } from '../db/database.ts';
import type { GateMetrics } from '../metrics/gate-metrics.ts';
import { sendErrorBody as sendError } from '../http/http-errors.ts';
import { findUserById, findUserByUsername, type User } from '../users/user-repository.ts';
import { decideDicomWebRequest, seriesAndInstance, type GateDecision } from './dicomweb-gate.ts';

export const DICOMWEB_PREFIX = '/api/ris/dicom-web/';

export interface GateServices {
  db: RsDatabase;
  audit: AuditAppender;
  metrics?: GateMetrics;
  verifier: AccessTokenVerifier;
  /** Says whether a session (refresh-token family) was ended, so its access tokens stop at once. */
  isSessionRevoked(sessionId: string): Promise<boolean>;
  /** The client's address: nginx's X-Real-IP when the peer is a trusted proxy, else the socket's. */
  clientAddress(request: FastifyRequest): string;
}

const AUTH_FAILED = 'authentication failed';

/**
 * Authenticates the bearer token and loads the account behind it. Token failures are audited and
 * answered 401 here; the caller gets the user or nothing.
 */
export async function authenticate(
  services: GateServices,
  request: FastifyRequest,
  reply: FastifyReply,
  context: Partial<AuditEvent> = {},
): Promise<User | undefined> {
  const base = { requestId: request.id, clientIp: services.clientAddress(request), userAgent: request.headers['user-agent'], ...context };
  let reason: string;
  let code: string;
  try {
    const token = await services.verifier.verify(bearerToken(request.headers.authorization));
    // The gate's own tokens name the account by id; an IdP's by login name. Either way the
    // registry's account decides: it must exist, be enabled and still have the token's role.
    const user = token.local
      ? /^[1-9][0-9]*$/.test(token.userId)
        ? await findUserById(services.db, Number(token.userId))
        : undefined
      : await findUserByUsername(services.db, token.username);
    if (user && !user.disabled && user.role === token.role) {
      if (!token.sessionId || !(await services.isSessionRevoked(token.sessionId))) return user;
      code = 'SESSION_REVOKED';
      reason = 'the session was ended';
    } else {
      code = 'TOKEN_INVALID';
      reason = user ? 'account disabled or role changed' : 'no such account';
    }
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    code = error.code;
    reason = error.message;
  }
  services.metrics?.tokenRejections.inc({ code });
  try {
    await services.audit.append({ ...base, action: 'TOKEN_REJECTED', result: 'denied', reason: `${code}: ${reason}` });
  } catch (error) {
    if (error instanceof AuditUnavailableError) {
      sendError(reply, 503, 'AUDIT_UNAVAILABLE', 'audit store unavailable; nothing was served');
      return undefined;
    }
    throw error;
  }
  reply.header('www-authenticate', `Bearer realm="reading-station", error="invalid_token"`);
  sendError(reply, 401, code, AUTH_FAILED);
  return undefined;
}

function auditEventFor(decision: GateDecision, user: User): Omit<AuditEvent, 'requestId' | 'clientIp' | 'userAgent'> {
  const who = { userId: user.id, username: user.username, role: user.role };
  const where =
    'route' in decision && decision.route
      ? {
          studyUid: 'studyUid' in decision ? decision.studyUid : undefined,
          ...seriesAndInstance(decision.route),
          routeKind: decision.kind,
        }
      : {};
  switch (decision.outcome) {
    case 'redirect':
      return { ...who, ...where, action: decision.route.kind === 'search' ? 'DICOM_QUERY' : 'DICOM_ACCESS', result: 'success' };
    case 'empty-search':
      return { ...who, ...where, action: 'DICOM_QUERY', result: 'success', reason: 'no visible studies' };
    case 'refused':
      return {
        ...who,
        ...where,
        action: decision.status === 400 ? 'DICOM_BAD_REQUEST' : 'DICOM_ACCESS_DENIED',
        result: 'denied',
        reason: `${decision.code}: ${decision.reason}`,
      };
  }
}

const REFUSAL_MESSAGES = {
  STUDY_FORBIDDEN: 'permission denied',
  SEARCH_NOT_CONSTRAINED: 'permission denied: name one study you may see',
  STUDY_NOT_FOUND: 'study not found',
} as const;

/**
 * `GET|HEAD /api/ris/dicom-web/*`: authenticate, decide, audit durably, and only then answer with
 * an empty body and `X-Accel-Redirect`. nginx fetches the bytes from Orthanc; the gate never sees
 * them. If the audit row cannot be committed the answer is 503 and nothing is served.
 */
export async function dicomWebRoutes(app: FastifyInstance, services: GateServices): Promise<void> {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const user = await authenticate(services, request, reply);
    if (!user) return reply;

    const url = request.raw.url ?? '';
    const queryStart = url.indexOf('?');
    const pathPart = queryStart === -1 ? url : url.slice(0, queryStart);
    const rawPath = pathPart.slice(DICOMWEB_PREFIX.length);
    const rawQuery = queryStart === -1 ? '' : url.slice(queryStart + 1);

    const decision = await decideDicomWebRequest(services.db, user, rawPath, rawQuery);
    services.metrics?.decisions.inc({
      kind: decision.kind ?? 'unparsed',
      outcome: decision.outcome === 'refused' ? String(decision.status) : decision.outcome,
    });
    try {
      await services.audit.append({
        ...auditEventFor(decision, user),
        requestId: request.id,
        clientIp: services.clientAddress(request),
        userAgent: request.headers['user-agent'],
      });
    } catch (error) {
      if (error instanceof AuditUnavailableError) {
        request.log.error({ err: error }, 'audit store unavailable; refusing to serve');
        return sendError(reply, 503, 'AUDIT_UNAVAILABLE', 'audit store unavailable; nothing was served');
      }
      throw error;
    }

    switch (decision.outcome) {
      case 'redirect':
        // No Content-Type: nginx passes Orthanc's, with its multipart boundary.
        return reply
          .code(200)
          .header('x-accel-redirect', decision.location)
          .header('x-accel-buffering', 'no')
          .header('cache-control', 'private, max-age=3600')
          .header('x-reading-station-decision', 'allow')
          .header('content-length', '0')
          .send();
      case 'empty-search':
        return reply.code(200).header('cache-control', 'private, no-store').type('application/dicom+json').send('[]');
      case 'refused':
        if (decision.status === 400) return sendError(reply, 400, decision.code, `invalid DICOMweb request: ${decision.reason}`);
        return sendError(reply, decision.status, decision.code, REFUSAL_MESSAGES[decision.code as keyof typeof REFUSAL_MESSAGES]);
    }
  };

  // Bodies are never read here: other methods get 405 whatever they send, not a parser's 415.
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  app.route({ method: ['GET', 'HEAD'], url: `${DICOMWEB_PREFIX}*`, handler, exposeHeadRoute: false });
  app.route({
    method: ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: `${DICOMWEB_PREFIX}*`,
    handler: async (_request, reply) =>
      sendError(reply.header('allow', 'GET, HEAD'), 405, 'METHOD_NOT_ALLOWED', 'the DICOMweb gate is read-only: use GET or HEAD'),
  });
  // Orthanc's WADO-URI ignores the study (docs/facts.md, Orthanc lock-down), so it is neither proxied nor enabled.
  app.get('/api/ris/wado', async (_request, reply) =>
    sendError(reply, 400, 'WADO_URI_NOT_SUPPORTED', 'WADO-URI is not supported; use WADO-RS under /api/ris/dicom-web/'),
  );
}
