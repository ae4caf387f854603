import type { RoutePlugin } from './app.ts';
import { assignmentRoutes } from './assignments/assignment-routes.ts';
import { createAuditAppender } from './audit/audit-appender.ts';
import { loadAuditKeys } from './audit/audit-keys.ts';
import { RejectionAggregator } from './audit/rejection-aggregator.ts';
import { createAccessTokenIssuer } from './auth/access-tokens.ts';
import { authRoutes, type AuthServices } from './auth/auth-routes.ts';
import type { AuthenticationServices } from './auth/authenticate-plugin.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { RefreshTokenStore } from './auth/refresh-tokens.ts';
import type { SigningKey } from './auth/signing-key.ts';
import { createTokenAuthenticator } from './auth/token-authenticator.ts';
import { dicomWebRoutes } from './dicomweb/dicomweb-routes.ts';
import { createGateReads } from './gate-reads.ts';
import type { GateServices } from './gate-services.ts';
import { createGateMetrics, type GateMetrics } from './metrics/gate-metrics.ts';
import { worklistRoutes } from './worklist/worklist-routes.ts';

/**
 * The product's routes, each its own plugin: sessions (login, refresh, logout), the DICOMweb gate
 * and the worklist. They share one audit backend, one token authenticator, one login throttle and
 * the metrics, which only the operations listener serves (metrics/ops-server.ts), never a route
 * here. The gate's reads, the worklist and the assignment API need an access token
 * (auth/authenticate-plugin.ts).
 */
export function gateRoutes(signingKey: SigningKey, options: { metrics?: GateMetrics; studyRevisions?: GateServices['studyRevisions'] } = {}): RoutePlugin {
  return async (app, core) => {
    const { auth } = core.config;
    const refreshTokens = new RefreshTokenStore(core.db, {
      ttlSeconds: auth.refreshTokenTtlSeconds,
      maxSessionSeconds: auth.sessionMaxSeconds,
      idleSeconds: auth.sessionIdleSeconds,
    });
    const metrics = options.metrics ?? createGateMetrics();
    const { appender: audit, close: closeAudit } = createAuditAppender({
      database: core.config.database,
      db: core.db,
      metrics,
      audit: core.config.audit,
      onAnchorError: (error) => app.log.error({ err: error }, 'the audit chain head could not be appended to the anchor file'),
    });
    // Rejections that name no user: one row per kind and address per minute (audit/rejection-aggregator.ts).
    const rejections = new RejectionAggregator(audit, {
      intervalMs: auth.rejectionAuditIntervalSeconds * 1000,
      onFlushError: (error) => app.log.error({ err: error }, 'aggregated rejection rows could not be written; kept for the next flush'),
    });
    const reads = createGateReads(core.config.database, core.db);
    app.addHook('onClose', async () => {
      reads.close();
      await rejections.close().catch((error: unknown) => app.log.error({ err: error }, 'aggregated rejection rows lost at shutdown'));
      await closeAudit();
    });
    const authentication: AuthenticationServices = {
      db: core.db,
      audit,
      metrics,
      clientAddress: core.clientAddress,
      studyRevisions: options.studyRevisions,
      verifier: createTokenAuthenticator(auth, signingKey),
      reads,
      rejections,
    };
    const sessions: AuthServices = {
      db: core.db,
      audit,
      metrics,
      clientAddress: core.clientAddress,
      issuer: createAccessTokenIssuer({
        privateKey: signingKey.privateKey,
        algorithm: auth.algorithm,
        keyId: signingKey.keyId,
        issuer: auth.issuer,
        audience: auth.audience,
        ttlSeconds: auth.accessTokenTtlSeconds,
      }),
      refreshTokens,
      throttle: new LoginThrottle(auth.lockout),
      secureCookies: auth.secureCookies,
    };
    await app.register(authRoutes, sessions);
    await app.register(dicomWebRoutes, authentication);
    await app.register(worklistRoutes, authentication);
    await app.register(assignmentRoutes, { ...authentication, auditKeys: loadAuditKeys(core.config.audit?.keyFile) });
  };
}
