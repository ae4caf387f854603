import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of the gate, served only by its operations listener (ops-server.ts), which
 * nginx publishes on its loopback operations port. Labels carry route kinds and outcomes, never
 * users or UIDs.
 */
export function createGateMetrics() {
  const registry = new Registry();
  // A coarser event-loop monitor: at the default 10 ms it costs an idle gate ~0.5 % of a core.
  collectDefaultMetrics({ register: registry, prefix: 'reading_station_', eventLoopMonitoringPrecision: 100 });
  return {
    registry,
    decisions: new Counter({
      name: 'reading_station_gate_decisions_total',
      help: 'DICOMweb gate decisions by route kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    tokenRejections: new Counter({
      name: 'reading_station_token_rejections_total',
      help: 'Requests refused for their access token, by reason',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    auditWriteSeconds: new Histogram({
      name: 'reading_station_audit_write_seconds',
      help: 'Time from asking for an audit row to its durable commit',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    auditFailures: new Counter({
      name: 'reading_station_audit_failures_total',
      help: 'Audit rows that could not be committed (each answered 503, nothing served)',
      registers: [registry],
    }),
    logins: new Counter({
      name: 'reading_station_logins_total',
      help: 'Login attempts by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

export type GateMetrics = ReturnType<typeof createGateMetrics>;
