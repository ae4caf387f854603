import Database from 'better-sqlite3';
import { runFixedRate, type FixedRateResult } from '../load/fixed-rate.ts';
import { runWrk, type LoadResult } from '../load/wrk.ts';
import { loadAverage } from '../machine.ts';
import { median, round } from '../stats.ts';
import { cpuPerRequestMs, cpuSnapshot, rotated, variantUrl, type BenchContext, type CpuSnapshot } from './context.ts';

/**
 * Where a decision request goes:
 * - `gate-port`: straight to proxy-server (its answer is the empty 200 with X-Accel-Redirect),
 *   so the figure is the gate's own: JWT, registry lookups, policy, audit row committed.
 * - `nginx-gate`: through nginx and the gate to Orthanc, the full product path (b).
 * - `nginx-direct`: through nginx straight to Orthanc (a), the same answer without the gate.
 */
export type DecisionPath = 'gate-port' | 'nginx-gate' | 'nginx-direct';
const PATHS: readonly DecisionPath[] = ['gate-port', 'nginx-gate', 'nginx-direct'];

export interface DecisionRun {
  round: number;
  path: DecisionPath;
  loadAverage1m: number;
  result: LoadResult;
  /** Audit rows committed during the run; equals the requests answered when every decision was audited. */
  auditRows: number;
  cpuMsPerRequest: CpuSnapshot;
}

export interface FixedRateRunRecord {
  round: number;
  path: DecisionPath;
  loadAverage1m: number;
  result: FixedRateResult;
  auditRows: number;
}

export interface DecisionSummary {
  connections: number;
  /** Median audited decisions per second at the gate port. */
  gatePortPerSecond: number;
  nginxGatePerSecond: number;
  nginxDirectPerSecond: number;
  auditRowsPerDecision: number;
  gateCpuMsPerDecision: number;
  rate: number;
  /** Medians over rounds, ms, from each request's due time to its last byte. */
  fixedRate: Record<DecisionPath, { p50: number; p99: number; achievedRate: number }>;
  /** nginx-gate minus nginx-direct at the fixed rate: what the gate adds to a request. */
  addedP50Ms: number;
  addedP99Ms: number;
}

function auditHead(databaseFile: string): number {
  const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('select coalesce(max(id), 0) as head from audit_log').get() as { head: number };
    return row.head;
  } finally {
    db.close();
  }
}

function decisionUrl(context: BenchContext, path: DecisionPath): string {
  const resource = `studies/${context.smallStudyUid}/series`;
  if (path === 'gate-port') return `${context.stack.file.gate.url}/api/ris/dicom-web/${resource}`;
  return variantUrl(context, path === 'nginx-gate' ? 'gate' : 'direct', resource);
}

/**
 * Benchmark 3: decisions per second with the audit row committed (closed loop, wrk), then each
 * path at a fixed rate (open loop) to see the latency the gate adds when it is not saturated.
 * The resource is a study's series list (a few hundred bytes), so the gate's work dominates.
 */
export async function runAuditedDecisions(
  context: BenchContext,
  options: { rounds: number; durationSeconds: number; connections: number; rate: number; rateSeconds: number },
): Promise<{ runs: DecisionRun[]; fixedRateRuns: FixedRateRunRecord[]; summary: DecisionSummary }> {
  const runs: DecisionRun[] = [];
  const fixedRateRuns: FixedRateRunRecord[] = [];
  const database = context.stack.file.gate.database;
  const validFor = Math.max(options.durationSeconds, options.rateSeconds) + 60;
  const headers = async (): Promise<Record<string, string>> => ({
    Authorization: `Bearer ${await context.admin.token(validFor)}`,
    Accept: 'application/dicom+json',
  });

  for (const path of PATHS) {
    const answer = await fetch(decisionUrl(context, path), { headers: await headers(), signal: AbortSignal.timeout(10_000) });
    await answer.arrayBuffer();
    if (answer.status !== 200) throw new Error(`decisions: ${path} answered ${answer.status}`);
  }
  await runWrk({ url: decisionUrl(context, 'gate-port'), headers: await headers(), connections: options.connections, durationSeconds: 2 });

  for (let r = 0; r < options.rounds; r++) {
    for (const path of rotated(PATHS, r)) {
      const requestHeaders = await headers();
      const loadAverage1m = loadAverage();
      const headBefore = auditHead(database);
      const before = cpuSnapshot(context);
      const result = await runWrk({ url: decisionUrl(context, path), headers: requestHeaders, connections: options.connections, durationSeconds: options.durationSeconds });
      const after = cpuSnapshot(context);
      const auditRows = auditHead(database) - headBefore;
      runs.push({ round: r + 1, path, loadAverage1m, result, auditRows, cpuMsPerRequest: cpuPerRequestMs(before, after, result.requests) });
      context.log(
        `decisions r${r + 1} ${path.padEnd(12)} ${result.requestsPerSecond.toFixed(0).padStart(6)} /s p50 ${result.latencyMs.p50} ms ` +
          `p99 ${result.latencyMs.p99} ms, ${auditRows} audit rows for ${result.requests} answers, load ${loadAverage1m}`,
      );
    }
  }

  for (let r = 0; r < options.rounds; r++) {
    for (const path of rotated(PATHS, r)) {
      const requestHeaders = await headers();
      const loadAverage1m = loadAverage();
      const headBefore = auditHead(database);
      const result = await runFixedRate({ url: decisionUrl(context, path), headers: requestHeaders, rate: options.rate, durationSeconds: options.rateSeconds });
      const auditRows = auditHead(database) - headBefore;
      fixedRateRuns.push({ round: r + 1, path, loadAverage1m, result, auditRows });
      context.log(
        `fixed rate r${r + 1} ${path.padEnd(12)} ${result.achievedRate}/s p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms ` +
          `(${result.errors} errors, ${result.dropped} dropped), load ${loadAverage1m}`,
      );
    }
  }

  const closed = (path: DecisionPath): DecisionRun[] => runs.filter((run) => run.path === path && run.result.errors === 0);
  const open = (path: DecisionPath): FixedRateRunRecord[] => fixedRateRuns.filter((run) => run.path === path);
  const fixed = (path: DecisionPath) => ({
    p50: round(median(open(path).map((run) => run.result.latencyMs.p50)), 3),
    p99: round(median(open(path).map((run) => run.result.latencyMs.p99)), 3),
    achievedRate: round(median(open(path).map((run) => run.result.achievedRate)), 1),
  });
  const perRound = (value: (gate: FixedRateRunRecord, direct: FixedRateRunRecord) => number): number =>
    round(
      median(
        open('nginx-gate').flatMap((gate) => {
          const direct = open('nginx-direct').find((d) => d.round === gate.round);
          return direct ? [value(gate, direct)] : [];
        }),
      ),
      3,
    );
  const gatePort = closed('gate-port');
  return {
    runs,
    fixedRateRuns,
    summary: {
      connections: options.connections,
      gatePortPerSecond: round(median(gatePort.map((run) => run.result.requestsPerSecond)), 0),
      nginxGatePerSecond: round(median(closed('nginx-gate').map((run) => run.result.requestsPerSecond)), 0),
      nginxDirectPerSecond: round(median(closed('nginx-direct').map((run) => run.result.requestsPerSecond)), 0),
      auditRowsPerDecision: round(
        gatePort.reduce((n, run) => n + run.auditRows, 0) / Math.max(1, gatePort.reduce((n, run) => n + run.result.requests, 0)),
        4,
      ),
      gateCpuMsPerDecision: round(median(gatePort.map((run) => run.cpuMsPerRequest.gate)), 3),
      rate: options.rate,
      fixedRate: { 'gate-port': fixed('gate-port'), 'nginx-gate': fixed('nginx-gate'), 'nginx-direct': fixed('nginx-direct') },
      addedP50Ms: perRound((gate, direct) => gate.result.latencyMs.p50 - direct.result.latencyMs.p50),
      addedP99Ms: perRound((gate, direct) => gate.result.latencyMs.p99 - direct.result.latencyMs.p99),
    },
  };
}
