import { runWrk, type LoadResult } from '../load/wrk.ts';
import { loadAverage } from '../machine.ts';
import { rssMiB, sampleRss, type RssSample } from '../proc.ts';
import { median, round } from '../stats.ts';
import { cpuPerRequestMs, cpuSnapshot, frameHeaders, settle, variantUrl, type BenchContext } from './context.ts';

export interface MemoryRun {
  round: number;
  /** Which Node process carries the load: the gate (b, X-Accel) or the baseline pipe (c). */
  variant: 'gate' | 'pipe';
  loadAverage1m: number;
  result: LoadResult;
  /** RSS of the Node process in question before the run, and sampled during it. */
  rssBeforeMiB: number;
  rss: RssSample[];
  rssPeakMiB: number;
  /** Peak of RssAnon, the process's own (not file-backed) memory; absent in older results. */
  anonPeakMiB?: number;
  /** Median of the last 5 s minus median of the first 5 s: growth while the load lasts. */
  rssDriftMiB: number;
  cpuMsPerRequest: number;
  valid: boolean;
}

export interface MemorySummary {
  gateRssPeakMiB: number;
  gateAnonPeakMiB?: number;
  pipeRssPeakMiB: number;
  gateRssDriftMiB: number;
  gateCpuMsPerRequest: number;
  pipeCpuMsPerRequest: number;
  /** pipe CPU per request ÷ gate CPU per request (target ≥ 10). */
  cpuRatioPipeToGate: number;
}

function drift(samples: readonly RssSample[]): number {
  if (samples.length < 4) return Number.NaN;
  const end = samples[samples.length - 1]?.t ?? 0;
  const first = samples.filter((s) => s.t <= 5).map((s) => s.rssMiB);
  const last = samples.filter((s) => s.t >= end - 5).map((s) => s.rssMiB);
  return round(median(last) - median(first), 1);
}

/**
 * Benchmark 2: 8 MiB frames at 64 connections for 30 s, through the gate (which only decides) and
 * through the pipe (which carries the bytes), sampling the Node process's RSS every 500 ms and its
 * CPU time around the run.
 */
export async function runGateMemory(
  context: BenchContext,
  options: { rounds: number; durationSeconds: number; connections: number },
): Promise<{ runs: MemoryRun[]; summary: MemorySummary }> {
  const runs: MemoryRun[] = [];
  const payload = context.payloads['raw-2048'];
  for (let r = 0; r < options.rounds; r++) {
    const order: Array<'gate' | 'pipe'> = r % 2 === 0 ? ['gate', 'pipe'] : ['pipe', 'gate'];
    for (const variant of order) {
      await settle(context);
      const pid = variant === 'gate' ? context.stack.gatePid : context.pipe.pid;
      const headers = await frameHeaders(context, options.durationSeconds + 60);
      const loadAverage1m = loadAverage();
      const rssBeforeMiB = round(rssMiB(pid), 1);
      const before = cpuSnapshot(context);
      const sampler = sampleRss(pid, 500);
      const result = await runWrk({
        url: variantUrl(context, variant, payload.path),
        headers,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        timeoutSeconds: 30,
      });
      const rss = sampler.stop();
      const after = cpuSnapshot(context);
      const cpu = cpuPerRequestMs(before, after, result.requests);
      const run: MemoryRun = {
        round: r + 1,
        variant,
        loadAverage1m,
        result,
        rssBeforeMiB,
        rss,
        rssPeakMiB: Math.max(...rss.map((s) => s.rssMiB)),
        anonPeakMiB: Math.max(...rss.map((s) => s.anonMiB ?? 0)),
        rssDriftMiB: drift(rss),
        cpuMsPerRequest: variant === 'gate' ? cpu.gate : cpu.pipe,
        valid: result.errors === 0 && result.bytesPerRequest >= payload.frameBytes,
      };
      runs.push(run);
      context.log(
        `memory r${r + 1} ${variant.padEnd(4)} ${result.requestsPerSecond} req/s, RSS ${rssBeforeMiB} → peak ${run.rssPeakMiB} MiB ` +
          `(drift ${run.rssDriftMiB}), CPU ${run.cpuMsPerRequest} ms/request, load ${loadAverage1m}${run.valid ? '' : ' INVALID'}`,
      );
    }
  }
  const of = (variant: 'gate' | 'pipe'): MemoryRun[] => runs.filter((run) => run.valid && run.variant === variant);
  const gateCpu = median(of('gate').map((run) => run.cpuMsPerRequest));
  const pipeCpu = median(of('pipe').map((run) => run.cpuMsPerRequest));
  return {
    runs,
    summary: {
      gateRssPeakMiB: Math.max(...of('gate').map((run) => run.rssPeakMiB)),
      gateAnonPeakMiB: Math.max(...of('gate').map((run) => run.anonPeakMiB ?? 0)),
      pipeRssPeakMiB: Math.max(...of('pipe').map((run) => run.rssPeakMiB)),
      gateRssDriftMiB: Math.max(...of('gate').map((run) => run.rssDriftMiB)),
      gateCpuMsPerRequest: round(gateCpu, 3),
      pipeCpuMsPerRequest: round(pipeCpu, 3),
      cpuRatioPipeToGate: round(pipeCpu / gateCpu, 1),
    },
  };
}
