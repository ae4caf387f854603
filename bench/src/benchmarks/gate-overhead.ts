import { runWrk, type LoadResult } from '../load/wrk.ts';
import { loadAverage } from '../machine.ts';
import { median, round } from '../stats.ts';
import type { Variant } from '../stack/bench-nginx.ts';
import {
  cpuPerRequestMs,
  cpuSnapshot,
  frameHeaders,
  probe,
  rotated,
  settle,
  variantUrl,
  type BenchContext,
  type CpuSnapshot,
  type PayloadName,
} from './context.ts';

export const VARIANTS: readonly Variant[] = ['direct', 'gate', 'pipe'];

export interface OverheadRun {
  round: number;
  payload: PayloadName;
  connections: number;
  variant: Variant;
  loadAverage1m: number;
  /** Seconds waited for Orthanc to finish the previous run's leftovers before this run started. */
  settledSeconds: number;
  result: LoadResult;
  /** CPU ms per request of each part during this run. */
  cpuMsPerRequest: CpuSnapshot;
  /** False when an answer was an error or smaller than the frame: the run is not counted. */
  valid: boolean;
}

export interface OverheadSummaryRow {
  payload: PayloadName;
  connections: number;
  rounds: number;
  requestsPerSecond: Record<Variant, number>;
  mibPerSecond: Record<Variant, number>;
  p50Ms: Record<Variant, number>;
  p99Ms: Record<Variant, number>;
  /** Median over rounds of the ratio within each round (both variants saw the same noise). */
  ratioGateToDirect: number;
  ratioPipeToDirect: number;
  gateCpuMsPerRequest: number;
  pipeCpuMsPerRequest: number;
}

export interface OverheadOptions {
  connections: readonly number[];
  payloads: readonly PayloadName[];
  rounds: number;
  durationSeconds(payload: PayloadName, connections: number): number;
}

async function checkVariants(context: BenchContext, payloads: readonly PayloadName[]): Promise<void> {
  const headers = await frameHeaders(context);
  for (const payload of payloads) {
    const { path, frameBytes } = context.payloads[payload];
    for (const variant of VARIANTS) {
      const answer = await probe(variantUrl(context, variant, path), headers);
      if (answer.status !== 200 || answer.bytes < frameBytes) {
        throw new Error(`${variant} ${payload}: expected 200 with ≥ ${frameBytes} bytes, got ${answer.status} with ${answer.bytes}`);
      }
    }
  }
}

/**
 * Benchmark 1: the same frame GET through (a) nginx → Orthanc, (b) the gate, (c) the Node pipe,
 * at several connection counts, in rounds: within a round every variant runs once, in an order
 * rotated from round to round, so load from other work on the machine falls on all alike.
 */
export async function runGateOverhead(context: BenchContext, options: OverheadOptions): Promise<{ runs: OverheadRun[]; summary: OverheadSummaryRow[] }> {
  await checkVariants(context, options.payloads);
  const runs: OverheadRun[] = [];

  context.log('overhead: warm-up (2 s per variant and payload)');
  for (const payload of options.payloads) {
    for (const variant of VARIANTS) {
      await runWrk({ url: variantUrl(context, variant, context.payloads[payload].path), headers: await frameHeaders(context), connections: 8, durationSeconds: 2, timeoutSeconds: 30 });
    }
  }

  for (let r = 0; r < options.rounds; r++) {
    for (const payload of options.payloads) {
      for (const [index, connections] of options.connections.entries()) {
        for (const variant of rotated(VARIANTS, r + index)) {
          const settledSeconds = await settle(context);
          const durationSeconds = options.durationSeconds(payload, connections);
          const headers = await frameHeaders(context, durationSeconds + 120);
          const loadAverage1m = loadAverage();
          const before = cpuSnapshot(context);
          const result = await runWrk({
            url: variantUrl(context, variant, context.payloads[payload].path),
            headers,
            connections,
            durationSeconds,
            // A slow answer is a data point, not an error: the 8 MiB frames at 128 connections queue for tens of seconds.
            timeoutSeconds: Math.max(30, durationSeconds),
          });
          const after = cpuSnapshot(context);
          const valid = result.errors === 0 && result.requests > 0 && result.bytesPerRequest >= context.payloads[payload].frameBytes;
          runs.push({ round: r + 1, payload, connections, variant, loadAverage1m, settledSeconds, result, cpuMsPerRequest: cpuPerRequestMs(before, after, result.requests), valid });
          context.log(
            `overhead r${r + 1} ${payload} c${connections} ${variant.padEnd(6)} ${result.requestsPerSecond.toFixed(1).padStart(8)} req/s ` +
              `p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms load ${loadAverage1m}${valid ? '' : ' INVALID'}`,
          );
        }
      }
    }
  }
  return { runs, summary: summariseOverhead(runs, options) };
}

export function summariseOverhead(runs: readonly OverheadRun[], options: Pick<OverheadOptions, 'connections' | 'payloads'>): OverheadSummaryRow[] {
  const rows: OverheadSummaryRow[] = [];
  for (const payload of options.payloads) {
    for (const connections of options.connections) {
      const cell = runs.filter((run) => run.valid && run.payload === payload && run.connections === connections);
      const of = (variant: Variant): OverheadRun[] => cell.filter((run) => run.variant === variant);
      const pick = (variant: Variant, value: (run: OverheadRun) => number): number => round(median(of(variant).map(value)), 3);
      const ratios = (numerator: Variant): number[] => {
        const out: number[] = [];
        for (const run of of(numerator)) {
          const base = of('direct').find((d) => d.round === run.round);
          if (base && base.result.requestsPerSecond > 0) out.push(run.result.requestsPerSecond / base.result.requestsPerSecond);
        }
        return out;
      };
      const perVariant = (value: (run: OverheadRun) => number): Record<Variant, number> => ({
        direct: pick('direct', value),
        gate: pick('gate', value),
        pipe: pick('pipe', value),
      });
      rows.push({
        payload,
        connections,
        rounds: Math.min(of('direct').length, of('gate').length, of('pipe').length),
        requestsPerSecond: perVariant((run) => run.result.requestsPerSecond),
        mibPerSecond: perVariant((run) => run.result.mibPerSecond),
        p50Ms: perVariant((run) => run.result.latencyMs.p50),
        p99Ms: perVariant((run) => run.result.latencyMs.p99),
        ratioGateToDirect: round(median(ratios('gate')), 3),
        ratioPipeToDirect: round(median(ratios('pipe')), 3),
        gateCpuMsPerRequest: pick('gate', (run) => run.cpuMsPerRequest.gate),
        pipeCpuMsPerRequest: pick('pipe', (run) => run.cpuMsPerRequest.pipe),
      });
    }
  }
  return rows;
}
