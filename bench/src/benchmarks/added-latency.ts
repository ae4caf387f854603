import { runFixedRate, type FixedRateResult } from '../load/fixed-rate.ts';
import { loadAverage } from '../machine.ts';
import { median, round } from '../stats.ts';
import { PATHS, auditHead, decisionUrl, type DecisionPath } from './audited-decisions.ts';
import { FRAME_ACCEPT, rotated, settle, type BenchContext } from './context.ts';

export interface FixedRateRun {
  round: number;
  rate: number;
  path: DecisionPath;
  loadAverage1m: number;
  result: FixedRateResult;
  auditRows: number;
}

export interface AddedLatencyRow {
  rate: number;
  /** Medians over rounds, ms, from each request's due time to its last byte. */
  byPath: Record<DecisionPath, { achievedRate: number; p50: number; p99: number }>;
  /** nginx-gate minus nginx-direct, within each round, then the median: what the gate adds. */
  addedP50Ms: number;
  addedP99Ms: number;
  /** True when every path kept up with the rate (≥ 95 %, nothing dropped): otherwise queueing, not the gate, dominates. */
  sustained: boolean;
}

/**
 * Benchmark 3b: the latency the gate adds to a frame request when the machine is not saturated.
 * An open-loop client sends the HTJ2K frame GET at fixed rates along each path; the gate's share
 * is (nginx → gate → Orthanc) − (nginx → Orthanc) within a round, and the gate port alone shows
 * its own response time for the same decision.
 */
export async function runAddedLatency(
  context: BenchContext,
  options: { rounds: number; rates: readonly number[]; durationSeconds: number },
): Promise<{ runs: FixedRateRun[]; summary: AddedLatencyRow[] }> {
  const runs: FixedRateRun[] = [];
  const database = context.stack.file.gate.database;
  const frame = context.payloads['htj2k-512'].path;
  for (const rate of options.rates) {
    for (let r = 0; r < options.rounds; r++) {
      for (const path of rotated(PATHS, r)) {
        await settle(context);
        const headers = { Authorization: `Bearer ${await context.admin.token(options.durationSeconds + 60)}`, Accept: FRAME_ACCEPT };
        const loadAverage1m = loadAverage();
        const headBefore = auditHead(database);
        const result = await runFixedRate({ url: decisionUrl(context, path, frame), headers, rate, durationSeconds: options.durationSeconds });
        runs.push({ round: r + 1, rate, path, loadAverage1m, result, auditRows: auditHead(database) - headBefore });
        context.log(
          `fixed ${rate}/s r${r + 1} ${path.padEnd(12)} achieved ${result.achievedRate}/s p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms ` +
            `(${result.errors} errors, ${result.dropped} dropped), load ${loadAverage1m}`,
        );
      }
    }
  }
  const summary = options.rates.map((rate): AddedLatencyRow => {
    const of = (path: DecisionPath): FixedRateRun[] => runs.filter((run) => run.rate === rate && run.path === path);
    const byPath = (path: DecisionPath) => ({
      achievedRate: round(median(of(path).map((run) => run.result.achievedRate)), 1),
      p50: round(median(of(path).map((run) => run.result.latencyMs.p50)), 3),
      p99: round(median(of(path).map((run) => run.result.latencyMs.p99)), 3),
    });
    const added = (pick: (result: FixedRateResult) => number): number =>
      round(
        median(
          of('nginx-gate').flatMap((gate) => {
            const direct = of('nginx-direct').find((d) => d.round === gate.round);
            return direct ? [pick(gate.result) - pick(direct.result)] : [];
          }),
        ),
        3,
      );
    const all = runs.filter((run) => run.rate === rate);
    return {
      rate,
      byPath: { 'gate-port': byPath('gate-port'), 'nginx-gate': byPath('nginx-gate'), 'nginx-direct': byPath('nginx-direct') },
      addedP50Ms: added((result) => result.latencyMs.p50),
      addedP99Ms: added((result) => result.latencyMs.p99),
      sustained: all.every((run) => run.result.dropped === 0 && run.result.errors === 0 && run.result.achievedRate >= rate * 0.95),
    };
  });
  return { runs, summary };
}
