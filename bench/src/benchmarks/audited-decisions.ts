import Database from 'better-sqlite3';
import { runWrk, type LoadResult } from '../load/wrk.ts';
import { loadAverage } from '../machine.ts';
import { median, round } from '../stats.ts';
import { cpuPerRequestMs, cpuSnapshot, frameHeaders, rotated, settle, variantUrl, type BenchContext, type CpuSnapshot } from './context.ts';

/**
 * Where a decision request goes:
 * - `gate-port`: straight to proxy-server (its answer is the empty 200 with X-Accel-Redirect),
 *   so the figure is the gate's own: JWT, registry lookups, policy, audit row committed.
 * - `nginx-gate`: through nginx and the gate to Orthanc, the full product path (b).
 * - `nginx-direct`: through nginx straight to Orthanc (a), the same answer without the gate.
 */
export type DecisionPath = 'gate-port' | 'nginx-gate' | 'nginx-direct';
export const PATHS: readonly DecisionPath[] = ['gate-port', 'nginx-gate', 'nginx-direct'];

export interface DecisionRun {
  round: number;
  path: DecisionPath;
  loadAverage1m: number;
  result: LoadResult;
  /** Audit rows committed during the run; equals the requests answered when every decision was audited. */
  auditRows: number;
  cpuMsPerRequest: CpuSnapshot;
}

export interface DecisionSummary {
  connections: number;
  /**
   * What was asked: an HTJ2K frame (from this bench on) or, in older results (absent), a study's
   * series list, which now also waits for a look at Orthanc (the DICOMweb cache's freshness rule).
   */
  resource?: 'frame' | 'series';
  /** Median audited decisions per second at the gate port. */
  gatePortPerSecond: number;
  nginxGatePerSecond: number;
  nginxDirectPerSecond: number;
  auditRowsPerDecision: number;
  gateCpuMsPerDecision: number;
}

export function auditHead(databaseFile: string): number {
  const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('select coalesce(max(id), 0) as head from audit_log').get() as { head: number };
    return row.head;
  } finally {
    db.close();
  }
}

export function decisionUrl(context: BenchContext, path: DecisionPath, resource: string): string {
  if (path === 'gate-port') return `${context.stack.file.gate.url}/api/ris/dicom-web/${resource}`;
  return variantUrl(context, path === 'nginx-gate' ? 'gate' : 'direct', resource);
}

/**
 * Benchmark 3: decisions per second with the audit row committed (closed loop, wrk). The resource
 * is the HTJ2K frame of benchmark 1, what a viewer asks for most: at the gate port the gate's work
 * (token, account, session, study, policy, audit row) is all there is. A metadata or search request
 * would also wait for a look at Orthanc before it may be cached (docs/operations.md, the DICOMweb
 * cache), which measures Orthanc, not the gate.
 */
export async function runAuditedDecisions(
  context: BenchContext,
  options: { rounds: number; durationSeconds: number; connections: number },
): Promise<{ runs: DecisionRun[]; summary: DecisionSummary }> {
  const runs: DecisionRun[] = [];
  const database = context.stack.file.gate.database;
  const validFor = options.durationSeconds + 60;
  const resource = context.payloads['htj2k-512'].path;
  const headers = (): Promise<Record<string, string>> => frameHeaders(context, validFor);

  for (const path of PATHS) {
    const answer = await fetch(decisionUrl(context, path, resource), { headers: await headers(), signal: AbortSignal.timeout(10_000) });
    await answer.arrayBuffer();
    if (answer.status !== 200) throw new Error(`decisions: ${path} answered ${answer.status}`);
  }
  await runWrk({ url: decisionUrl(context, 'gate-port', resource), headers: await headers(), connections: options.connections, durationSeconds: 2 });

  for (let r = 0; r < options.rounds; r++) {
    for (const path of rotated(PATHS, r)) {
      await settle(context);
      const requestHeaders = await headers();
      const loadAverage1m = loadAverage();
      const headBefore = auditHead(database);
      const before = cpuSnapshot(context);
      const result = await runWrk({ url: decisionUrl(context, path, resource), headers: requestHeaders, connections: options.connections, durationSeconds: options.durationSeconds });
      const after = cpuSnapshot(context);
      const auditRows = auditHead(database) - headBefore;
      runs.push({ round: r + 1, path, loadAverage1m, result, auditRows, cpuMsPerRequest: cpuPerRequestMs(before, after, result.requests) });
      context.log(
        `decisions r${r + 1} ${path.padEnd(12)} ${result.requestsPerSecond.toFixed(0).padStart(6)} /s p50 ${result.latencyMs.p50} ms ` +
          `p99 ${result.latencyMs.p99} ms, ${auditRows} audit rows for ${result.requests} answers, load ${loadAverage1m}`,
      );
    }
  }

  const closed = (path: DecisionPath): DecisionRun[] => runs.filter((run) => run.path === path && run.result.errors === 0);
  const gatePort = closed('gate-port');
  return {
    runs,
    summary: {
      connections: options.connections,
      resource: 'frame',
      gatePortPerSecond: round(median(gatePort.map((run) => run.result.requestsPerSecond)), 0),
      nginxGatePerSecond: round(median(closed('nginx-gate').map((run) => run.result.requestsPerSecond)), 0),
      nginxDirectPerSecond: round(median(closed('nginx-direct').map((run) => run.result.requestsPerSecond)), 0),
      auditRowsPerDecision: round(
        gatePort.reduce((n, run) => n + run.auditRows, 0) / Math.max(1, gatePort.reduce((n, run) => n + run.result.requests, 0)),
        4,
      ),
      gateCpuMsPerDecision: round(median(gatePort.map((run) => run.cpuMsPerRequest.gate)), 3),
    },
  };
}
