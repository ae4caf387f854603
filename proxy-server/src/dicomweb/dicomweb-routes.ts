import { DICOM_JSON } from '@reading-station/contract';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuditUnavailableError, type AuditEvent } from '../audit/audit-events.ts';
import { authenticatedUser, requireAuthentication, type AuthenticationServices } from '../auth/authenticate-plugin.ts';
import { sendErrorBody as sendError } from '../http/http-errors.ts';
import type { User } from '../users/user-repository.ts';
import { createHash } from 'node:crypto';
import { decideDicomWebRequest, seriesAndInstance, type GateDecision, type SearchExposure } from './dicomweb-gate.ts';
import { routeCoverage, type DicomWebRoute } from './dicomweb-path.ts';

export const DICOMWEB_PREFIX = '/api/ris/dicom-web/';

/** Up to this many UIDs are listed in the audit row; more are recorded as their count and SHA-256. */
const LISTED_EXPOSED_UIDS = 4;

/**
 * What a root study search exposed, for its audit row: the StudyInstanceUIDs it was constrained to
 * (listed, or their count and the SHA-256 of the comma-joined list when long) and the re-encoded
 * query. A query too long for the row is recorded as its length and SHA-256.
 */
export function describeSearchExposure({ studyUids, query }: SearchExposure): string {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const studies =
    studyUids === undefined
      ? 'studies: all (not constrained)'
      : studyUids.length <= LISTED_EXPOSED_UIDS
        ? `studies (${studyUids.length}): ${studyUids.join(',')}`
        : `studies: ${studyUids.length}, sha256 ${sha256(studyUids.join(','))}`;
  const shownQuery = query.length <= 200 ? query : `${query.length} characters, sha256 ${sha256(query)}`;
  return `${studies}; query: ${shownQuery || '(none)'}`;
}

/** The frames or instances an allowed retrieval covers, as its row's reason (routeCoverage). */
function coverage(route: DicomWebRoute): { reason?: string } {
  const covered = routeCoverage(route);
  return covered === undefined ? {} : { reason: covered };
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
      return {
        ...who,
        ...where,
        action: decision.route.kind === 'search' ? 'DICOM_QUERY' : 'DICOM_ACCESS',
        result: 'success',
        ...(decision.exposure ? { reason: describeSearchExposure(decision.exposure) } : coverage(decision.route)),
      };
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
  STUDY_CONFLICT: "this study's identifiers conflict in the PACS; IT has been told",
  STUDY_FORBIDDEN: 'permission denied',
  SEARCH_NOT_CONSTRAINED: 'permission denied: name one study you may see',
  STUDY_NOT_FOUND: 'study not found',
} as const;

/**
 * What the caller is told about a refusal. Only an administrator, who may see every study, learns
 * whether a study exists: everyone else gets the same 403 for another patient's study and for a UID
 * that is not in the registry, so the answer is no existence oracle. The audit row keeps the real
 * reason (STUDY_NOT_FOUND or STUDY_FORBIDDEN).
 */
export function refusalAnswer(code: 'STUDY_FORBIDDEN' | 'STUDY_NOT_FOUND' | 'SEARCH_NOT_CONSTRAINED' | 'STUDY_CONFLICT', user: Pick<User, 'role'>) {
  if (code === 'STUDY_NOT_FOUND' && user.role !== 'admin') return { status: 403, code: 'STUDY_FORBIDDEN', message: REFUSAL_MESSAGES.STUDY_FORBIDDEN } as const;
  // Told only to someone the policy lets see the study: no existence oracle.
  if (code === 'STUDY_CONFLICT') {
    const message = user.role === 'admin' ? `${REFUSAL_MESSAGES.STUDY_CONFLICT} (see reading-station-admin registry conflicts)` : REFUSAL_MESSAGES.STUDY_CONFLICT;
    return { status: 409, code, message } as const;
  }
  return { status: code === 'STUDY_NOT_FOUND' ? 404 : 403, code, message: REFUSAL_MESSAGES[code] } as const;
}

/**
 * `GET|HEAD /api/ris/dicom-web/*`: authenticate, decide, audit durably, and only then answer with
 * an empty body and `X-Accel-Redirect`. nginx fetches the bytes from Orthanc; the gate never sees
 * them. If the audit row cannot be committed the answer is 503 and nothing is served. Other
 * methods and WADO-URI are refused without looking at the token.
 */
export const dicomWebRoutes: FastifyPluginAsync<AuthenticationServices> = async (app, services) => {
  // Bodies are never read here: other methods get 405 whatever they send, not a parser's 415.
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
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
  // The reads, in a scope of their own that needs an access token.
  await app.register(async (reads) => {
    requireAuthentication(reads, services);
    reads.route({ method: ['GET', 'HEAD'], url: `${DICOMWEB_PREFIX}*`, handler: (request, reply) => answerRead(services, request, reply), exposeHeadRoute: false });
  });
};

async function answerRead(services: AuthenticationServices, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const user = authenticatedUser(request);
  const url = request.raw.url ?? '';
  const queryStart = url.indexOf('?');
  const pathPart = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawPath = pathPart.slice(DICOMWEB_PREFIX.length);
  const rawQuery = queryStart === -1 ? '' : url.slice(queryStart + 1);

  const decision = await decideDicomWebRequest(services.db, user, rawPath, rawQuery, services.studyRevisions, services.reads);
  services.metrics?.decisions.inc({
    kind: decision.kind ?? 'unparsed',
    outcome: decision.outcome === 'refused' ? String(decision.status) : decision.outcome,
  });
  let auditId: number;
  try {
    auditId = await services.audit.append({
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
        // Never kept by a browser or the desktop's session: every view is a gated, audited request.
        .header('cache-control', 'no-store')
        .header('x-reading-station-decision', 'allow')
        // nginx logs what it then served under this row's id (audit/served-log.ts).
        .header('x-audit-id', String(auditId))
        .header('content-length', '0')
        .send();
    case 'empty-search':
      return reply.code(200).header('cache-control', 'no-store').type(DICOM_JSON).send('[]');
    case 'refused': {
      if (decision.code === 'INVALID_PATH' || decision.code === 'INVALID_QUERY') {
        return sendError(reply, 400, decision.code, `invalid DICOMweb request: ${decision.reason}`);
      }
      const answer = refusalAnswer(decision.code, user);
      return sendError(reply, answer.status, answer.code, answer.message);
    }
  }
}
