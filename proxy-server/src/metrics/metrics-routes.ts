import type { FastifyPluginAsync } from 'fastify';
import type { GateMetrics } from './gate-metrics.ts';

/**
 * `GET /api/metrics`: the gate's Prometheus metrics. nginx refuses this path on the public port;
 * its operations port (loopback) proxies here.
 */
export const metricsRoutes: FastifyPluginAsync<{ metrics: GateMetrics }> = async (app, { metrics }) => {
  app.get('/api/metrics', async (_request, reply) =>
    reply.header('cache-control', 'no-store').type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
