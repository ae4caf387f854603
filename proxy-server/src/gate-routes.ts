import type { RoutePlugin } from './app.ts';
import { AuditLog, type AuditAppender } from './audit/audit-log.ts';
import { SqliteAuditWriter } from './audit/sqlite-audit-writer.ts';
import { createAccessTokenIssuer } from './auth/access-tokens.ts';
import { authRoutes, type AuthServices } from './auth/auth-routes.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { RefreshTokenStore } from './auth/refresh-tokens.ts';
import type { SigningKey } from './auth/signing-key.ts';
import { createTokenAuthenticator } from './auth/token-authenticator.ts';
import { dicomWebRoutes } from './dicomweb/dicomweb-routes.ts';
import { createGateMetrics } from './metrics/gate-metrics.ts';
import { worklistRoutes } from './worklist/worklist-routes.ts';

/**
 * The product's routes: authentication, the DICOMweb gate and the worklist, sharing one audit log,
 * one token authenticator and one login throttle.
 */
export function gateRoutes(signingKey: SigningKey): RoutePlugin {
  return async (app, core) => {
    const { auth } = core.config;
    const refreshTokens = new RefreshTokenStore(core.db, { ttlSeconds: auth.refreshTokenTtlSeconds });
    const metrics = createGateMetrics();
    // On a SQLite file the audit writer commits from its own thread (see sqlite-audit-worker.ts).
    const database = core.config.database;
    const auditLog: AuditAppender =
      database.client === 'sqlite' && database.filename !== ':memory:' ? new SqliteAuditWriter(database.filename) : new AuditLog(core.db);
    if (auditLog instanceof SqliteAuditWriter) app.addHook('onClose', async () => auditLog.close());
    const audit: AuditAppender = {
      async append(event) {
        const done = metrics.auditWriteSeconds.startTimer();
        try {
          return await auditLog.append(event);
        } catch (error) {
          metrics.auditFailures.inc();
          throw error;
        } finally {
          done();
        }
      },
    };
    const services: AuthServices = {
      db: core.db,
      audit,
      metrics,
      verifier: createTokenAuthenticator(auth, signingKey),
      isSessionRevoked: (sessionId) => refreshTokens.isFamilyRevoked(sessionId),
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
    await authRoutes(app, services);
    await app.register(async (scope) => dicomWebRoutes(scope, services));
    await worklistRoutes(app, services);
    // nginx refuses /api/metrics on the public port; its operations port (loopback) proxies here.
    app.get('/api/metrics', async (_request, reply) =>
      reply.header('cache-control', 'no-store').type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  };
}
