import type { FastifyRequest } from 'fastify';
import type { AuditAppender } from './audit/audit-events.ts';
import type { RsDatabase } from './db/database.ts';
import type { RevisionLookup } from './dicomweb/dicomweb-gate.ts';
import type { GateMetrics } from './metrics/gate-metrics.ts';

/** What every route of the gate works with; gate-routes.ts makes one set and hands it to each plugin. */
export interface GateServices {
  db: RsDatabase;
  /** Durable before the answer: a route that cannot append answers 503 and serves nothing. */
  audit: AuditAppender;
  metrics?: GateMetrics | undefined;
  /** Revisions that key nginx's DICOMweb cache (dicomweb/study-revisions.ts); unset: nothing is cached. */
  studyRevisions?: RevisionLookup | undefined;
  /** The client's address: nginx's X-Real-IP when the peer is a trusted proxy, else the socket's. */
  clientAddress(request: FastifyRequest): string;
}
