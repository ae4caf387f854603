import type { RsDatabase } from '../db/database.ts';
import { z } from 'zod';
import { pingDatabase } from '../db/database.ts';
import type { SyncStatus } from '../sync/registry-sync.ts';

export type CheckResult = { status: 'ok'; durationMs: number } | { status: 'fail'; durationMs: number; reason: string };

/**
 * How far the registry is behind Orthanc's changes feed. Reported, not a reason to refuse: the
 * gate serves what the registry holds while it catches up.
 */
export type RegistrySyncReport =
  | { status: 'ok'; behind: number; lastSeq: number | null }
  | { status: 'behind'; behind: number; lastSeq: number | null; reason: string }
  | { status: 'standby'; reason: string };

export interface ReadinessReport {
  ready: boolean;
  checks: { database: CheckResult; orthanc: CheckResult; registrySync?: RegistrySyncReport };
}

export interface ReadinessProbe {
  db: RsDatabase;
  /** nginx's ops location that answers with Orthanc's /system; undefined means not configured. */
  orthancHealthUrl: string | undefined;
  fetch: typeof fetch;
  timeoutMs: number;
  registrySync?: { status(): SyncStatus };
}

// Orthanc's /system always names its version; anything else (an nginx error page, another
// service on the port) is not Orthanc answering.
const orthancSystem = z.looseObject({ Version: z.string() });

class CheckFailed extends Error {}

async function timed(timeoutMs: number, run: (signal: AbortSignal) => Promise<void>): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  const durationMs = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  // The race also bounds checks that cannot be aborted (a query on a hung database connection).
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CheckFailed(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([run(controller.signal), deadline]);
    return { status: 'ok', durationMs: durationMs() };
  } catch (error) {
    const reason = error instanceof CheckFailed ? error.message : controller.signal.aborted ? `no answer within ${timeoutMs} ms` : 'unreachable';
    return { status: 'fail', durationMs: durationMs(), reason };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks what serving needs: the database answers a query, and Orthanc answers through nginx.
 * Failure reasons are short and generic on purpose (the endpoint is public); callers log details.
 */
export async function checkReadiness(probe: ReadinessProbe, onError?: (check: string, error: unknown) => void): Promise<ReadinessReport> {
  const [database, orthanc] = await Promise.all([
    timed(probe.timeoutMs, async () => {
      try {
        await pingDatabase(probe.db);
      } catch (error) {
        onError?.('database', error);
        throw new CheckFailed('query failed');
      }
    }),
    timed(probe.timeoutMs, async (signal) => {
      if (probe.orthancHealthUrl === undefined) throw new CheckFailed('not configured (set orthancHealthUrl / RS_ORTHANC_HEALTH_URL)');
      let response: Response;
      try {
        response = await probe.fetch(probe.orthancHealthUrl, { signal, headers: { accept: 'application/json' }, redirect: 'manual' });
      } catch (error) {
        if (signal.aborted) throw error;
        onError?.('orthanc', error);
        throw new CheckFailed('unreachable');
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new CheckFailed(`HTTP ${response.status}`);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new CheckFailed("not Orthanc's /system answer");
      }
      if (!orthancSystem.safeParse(body).success) throw new CheckFailed("not Orthanc's /system answer");
    }),
  ]);
  const checks: ReadinessReport['checks'] = { database, orthanc };
  if (probe.registrySync !== undefined) checks.registrySync = registrySyncReport(probe.registrySync.status());
  return { ready: database.status === 'ok' && orthanc.status === 'ok', checks };
}

export function registrySyncReport(status: SyncStatus): RegistrySyncReport {
  if (!status.leader && status.lastError === null && status.lastSuccessAt === null && status.lastSeq === null) {
    return { status: 'behind', behind: 0, lastSeq: null, reason: 'registry sync starting' };
  }
  if (!status.leader && status.lastError === null) return { status: 'standby', reason: 'another gate follows Orthanc' };
  if (status.lastError === null && status.behind === 0 && status.lastSeq !== null) return { status: 'ok', behind: 0, lastSeq: status.lastSeq };
  const behind = status.behind;
  const why = status.lastError === null ? '' : ' (the last attempt failed; retrying with backoff)';
  return { status: 'behind', behind, lastSeq: status.lastSeq, reason: `registry sync behind by ${behind} changes${why}` };
}
