import type { FastifyPluginAsync } from 'fastify';
import { AuditUnavailableError } from '../audit/audit-events.ts';
import { authenticatedUser, requireAuthentication, type AuthenticationServices } from '../auth/authenticate-plugin.ts';
import { sendErrorBody } from '../http/http-errors.ts';
import { listWorklist, worklistQuerySchema } from './worklist.ts';

/** `GET /api/ris/worklist`: the caller's studies from the registry. Listing PHI is audited too. */
export const worklistRoutes: FastifyPluginAsync<AuthenticationServices> = async (app, services) => {
  requireAuthentication(app, services);
  app.get('/api/ris/worklist', async (request, reply) => {
    const user = authenticatedUser(request);
    const query = worklistQuerySchema.safeParse(request.query);
    if (!query.success) {
      const issue = query.error.issues[0];
      return sendErrorBody(reply, 400, 'INVALID_QUERY', `invalid worklist query: ${issue?.path.join('.') || 'query'}: ${issue?.message}`);
    }
    const result = await listWorklist(services.db, user, query.data);
    try {
      await services.audit.append({
        action: 'WORKLIST_QUERY',
        result: 'success',
        requestId: request.id,
        userId: user.id,
        username: user.username,
        role: user.role,
        clientIp: services.clientAddress(request),
        userAgent: request.headers['user-agent'],
        reason: `${result.items.length} of ${result.total} studies`,
      });
    } catch (error) {
      if (error instanceof AuditUnavailableError) return sendErrorBody(reply, 503, 'AUDIT_UNAVAILABLE', 'audit store unavailable; nothing was served');
      throw error;
    }
    return reply.header('cache-control', 'private, no-store').send(result);
  });
};
