import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuditUnavailableError, type AuditEvent } from '../audit/audit-events.ts';
import type { AuditKeys } from '../audit/audit-keys.ts';
import { authenticatedUser, requireAuthentication, type AuthenticationServices } from '../auth/authenticate-plugin.ts';
import { isDicomUid } from '../dicomweb/dicom-uid.ts';
import { sendErrorBody } from '../http/http-errors.ts';
import { RegistryError } from '../registry-error.ts';
import { assignStudy } from '../studies/study-repository.ts';
import type { User } from '../users/user-repository.ts';

export interface AssignmentServices extends AuthenticationServices {
  /** The audit chain's keys: an assignment and its audit row commit in one transaction. */
  auditKeys: AuditKeys;
}

/** `{ "radiologist": "<username>" }` assigns the reading radiologist; `null` removes the assignment. */
export const assignmentBodySchema = z.strictObject({
  radiologist: z.string().trim().min(1).max(64).nullable(),
});

const ASSIGNMENT_PATH = '/api/ris/studies/:uid/assignment';

/**
 * `POST /api/ris/studies/{uid}/assignment`: a RIS (or an administrator) assigns the reading
 * radiologist of a study. Administrators only; every attempt is audited, a change together with
 * its audit row in one transaction, a refusal before it is answered.
 */
export const assignmentRoutes: FastifyPluginAsync<AssignmentServices> = async (app, services) => {
  requireAuthentication(app, services);
  app.post<{ Params: { uid: string } }>(ASSIGNMENT_PATH, async (request, reply) => {
    const user = authenticatedUser(request);
    const uid = request.params.uid;
    const studyUid = isDicomUid(uid) ? uid : undefined;
    if (user.role !== 'admin') {
      return refuse(services, request, reply, user, studyUid, 403, 'FORBIDDEN', 'only an administrator may assign studies');
    }
    if (studyUid === undefined) return refuse(services, request, reply, user, undefined, 400, 'VALIDATION_FAILED', 'the path does not name a StudyInstanceUID');
    const body = assignmentBodySchema.safeParse(request.body);
    if (!body.success) {
      const issue = body.error.issues[0];
      return refuse(services, request, reply, user, studyUid, 400, 'VALIDATION_FAILED', `invalid assignment: ${issue?.path.join('.') || 'body'}: ${issue?.message}`);
    }
    const actor = { userId: user.id, username: user.username, role: user.role, requestId: request.id, clientIp: services.clientAddress(request), userAgent: request.headers['user-agent'] };
    try {
      const study = await assignStudy(services.db, studyUid, { radiologist: body.data.radiologist }, { audit: { actor, keys: services.auditKeys } });
      const radiologist =
        study.radiologistId === null
          ? null
          : await services.db.selectFrom('users').select(['username', 'display_name as displayName']).where('id', '=', study.radiologistId).executeTakeFirstOrThrow();
      return reply.header('cache-control', 'no-store').send({ studyInstanceUid: studyUid, radiologist });
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      if (error.code === 'STUDY_NOT_FOUND') return refuse(services, request, reply, user, studyUid, 404, 'STUDY_NOT_FOUND', 'study not found');
      return refuse(services, request, reply, user, studyUid, 400, 'ASSIGNEE_NOT_ALLOWED', error.message);
    }
  });
};

async function refuse(
  services: AssignmentServices,
  request: FastifyRequest,
  reply: FastifyReply,
  user: User,
  studyUid: string | undefined,
  status: 400 | 403 | 404,
  code: 'FORBIDDEN' | 'VALIDATION_FAILED' | 'STUDY_NOT_FOUND' | 'ASSIGNEE_NOT_ALLOWED',
  message: string,
): Promise<FastifyReply> {
  const event: AuditEvent = {
    action: 'STUDY_ASSIGNMENT',
    result: status === 403 ? 'denied' : 'failure',
    requestId: request.id,
    userId: user.id,
    username: user.username,
    role: user.role,
    studyUid,
    clientIp: services.clientAddress(request),
    userAgent: request.headers['user-agent'],
    reason: `${code}: ${message}`,
  };
  try {
    await services.audit.append(event);
  } catch (error) {
    if (error instanceof AuditUnavailableError) return sendErrorBody(reply, 503, 'AUDIT_UNAVAILABLE', 'audit store unavailable; nothing was changed');
    throw error;
  }
  return sendErrorBody(reply, status, code, message);
}
