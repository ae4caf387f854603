import path from 'node:path';
import Database from 'better-sqlite3';
import {
  AuditLog,
  RefreshTokenStore,
  createDatabase,
  createTokenAuthenticator,
  decideDicomWebRequest,
  findUserById,
  loadConfig,
  loadSigningKey,
  sqliteGateReads,
  type AuditEvent,
} from '@reading-station/proxy-server';
import type { BenchContext } from '../benchmarks/context.ts';
import { loadAverage } from '../machine.ts';
import { round } from '../stats.ts';

export interface StepCost {
  step: string;
  operations: number;
  concurrency: number;
  /** Microseconds of this process's CPU (user + system) per operation. */
  cpuMicros: number;
  wallMicros: number;
}

export interface DecisionBreakdown {
  loadAverage1m: number;
  steps: StepCost[];
}

async function measure(step: string, operations: number, concurrency: number, operation: () => Promise<unknown>): Promise<StepCost> {
  // One untimed pass warms the JIT and SQLite's page cache.
  for (let i = 0; i < Math.min(50, operations); i++) await operation();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < operations) {
        issued += 1;
        await operation();
      }
    }),
  );
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { step, operations, concurrency, cpuMicros: round((used.user + used.system) / operations, 1), wallMicros: round((wall * 1000) / operations, 1) };
}

/**
 * What one gate decision costs, step by step: the proxy-server functions the DICOMweb route calls,
 * run in this process against a consistent copy of the stack's registry (so the stack's audit
 * chain is not touched), with the gate's own configuration and signing key. Complements the
 * sampling profile, which cannot attribute time across the awaits between Kysely and SQLite.
 */
export async function decisionBreakdown(context: BenchContext, options: { dir: string; operations: number }): Promise<DecisionBreakdown> {
  const copy = path.join(options.dir, 'registry-copy.sqlite');
  const source = new Database(context.stack.file.gate.database, { readonly: true, fileMustExist: true });
  try {
    await source.backup(copy);
  } finally {
    source.close();
  }
  const config = loadConfig({ argv: ['--config', context.stack.file.gate.configFile], env: {} });
  const authenticator = createTokenAuthenticator(config.auth, loadSigningKey(config.auth));
  const db = createDatabase({ client: 'sqlite', filename: copy });
  // The reads the gate makes on SQLite: a read-only connection with statements prepared once.
  const reads = sqliteGateReads(copy);
  try {
    const refreshTokens = new RefreshTokenStore(db, { ttlSeconds: config.auth.refreshTokenTtlSeconds });
    const audit = new AuditLog(db);
    const token = await context.admin.token(300);
    const verified = await authenticator.verify(token);
    const user = await findUserById(db, Number(verified.userId));
    if (!user) throw new Error('breakdown: the admin is not in the registry copy');
    const sessionId = verified.sessionId ?? '';
    const resource = context.payloads['htj2k-512'].path;
    const event: AuditEvent = {
      action: 'DICOM_ACCESS',
      result: 'success',
      requestId: '0123456789abcdef0123456789abcdef',
      userId: user.id,
      username: user.username,
      role: user.role,
      studyUid: context.smallStudyUid,
      routeKind: 'instance.frames',
      clientIp: '127.0.0.1',
      userAgent: 'bench',
    };
    const n = options.operations;
    const loadAverage1m = loadAverage();
    const steps = [
      await measure('verify access token (ES256 once, then remembered until it expires)', n, 1, () => authenticator.verify(token)),
      await measure('load user + session revoked? (gate reads, one statement)', n, 1, () => reads.account(user.id, sessionId)),
      await measure('load user through Kysely (findUserById), for comparison', n, 1, () => findUserById(db, user.id)),
      await measure('session revoked? through Kysely (isFamilyRevoked), for comparison', n, 1, () => refreshTokens.isFamilyRevoked(sessionId)),
      await measure('parse frame path + load study + policy (decideDicomWebRequest, gate reads)', n, 1, () => decideDicomWebRequest(db, user, resource, '', undefined, reads)),
      await measure('audit row, one at a time (commit + fsync each)', Math.ceil(n / 10), 1, () => audit.append(event)),
      await measure('audit row, 32 in flight (group commit)', n, 32, () => audit.append(event)),
      await measure('whole decision without HTTP, 32 in flight', n, 32, async () => {
        const t = await authenticator.verify(token);
        const { user: u } = await reads.account(Number(t.userId), t.sessionId);
        if (u) await decideDicomWebRequest(db, u, resource, '', undefined, reads);
        await audit.append(event);
      }),
    ];
    // Kysely's SQLite driver prepares every statement anew; how much of a query that is:
    const raw = new Database(copy, { readonly: true });
    try {
      const sqlText = 'select * from "users" where "id" = ?';
      const prepared = raw.prepare(sqlText);
      steps.push(
        await measure('user query, prepared on every call (Kysely without a statement cache)', n, 1, async () => raw.prepare(sqlText).get(user.id)),
        await measure('user query, statement prepared once', n, 1, async () => prepared.get(user.id)),
      );
    } finally {
      raw.close();
    }
    for (const s of steps) context.log(`breakdown: ${s.step}: ${s.cpuMicros} µs CPU, ${s.wallMicros} µs wall per operation`);
    return { loadAverage1m, steps };
  } finally {
    reads.close();
    await db.destroy();
  }
}
