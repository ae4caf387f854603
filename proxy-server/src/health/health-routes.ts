import type { FastifyInstance } from 'fastify';
import { checkReadiness } from './readiness.ts';
import type { ReadinessProbe } from './readiness.ts';

/** Liveness (`/api/healthz`: the process answers) and readiness (`/api/readyz`: it can serve). */
export async function healthRoutes(app: FastifyInstance, probe: ReadinessProbe): Promise<void> {
  app.get('/api/healthz', async (_request, reply) => {
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });

  app.get('/api/readyz', async (request, reply) => {
    const report = await checkReadiness(probe, (check, error) => request.log.warn({ err: error, check }, 'readiness check failed'));
    return reply
      .code(report.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
  });
}
