import http from 'node:http';
import { summariseLatencies, type LatencySummary } from '../stats.ts';

export interface FixedRateRun {
  url: string;
  headers: Readonly<Record<string, string>>;
  /** Requests per second, sent on a fixed schedule whatever the answers do (open loop). */
  rate: number;
  durationSeconds: number;
  /** Requests allowed in flight; a request due while this many are open is counted as dropped. */
  maxInFlight?: number;
  timeoutMs?: number;
}

export interface FixedRateResult {
  scheduled: number;
  completed: number;
  errors: number;
  dropped: number;
  achievedRate: number;
  /**
   * From the moment each request was due to its last byte: a slow answer delays nothing that
   * follows (no coordinated omission), and client-side lag counts against the run, not for it.
   */
  latencyMs: LatencySummary;
}

/**
 * An open-loop load generator: request i is due at start + i / rate, and is sent then whether or
 * not earlier answers have arrived (wrk2 does this; Debian has no wrk2). Bounded in time
 * (durationSeconds) and in count (rate × durationSeconds requests).
 */
export async function runFixedRate(run: FixedRateRun): Promise<FixedRateResult> {
  const maxInFlight = run.maxInFlight ?? 256;
  const total = Math.floor(run.rate * run.durationSeconds);
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const url = new URL(run.url);
  const latencies: number[] = [];
  let errors = 0;
  let dropped = 0;
  let inFlight = 0;
  let next = 0;
  const start = performance.now() + 20;

  const send = (due: number): void => {
    inFlight += 1;
    const done = (ok: boolean): void => {
      inFlight -= 1;
      if (ok) latencies.push(performance.now() - due);
      else errors += 1;
    };
    const request = http.get(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, headers: run.headers, agent, timeout: run.timeoutMs ?? 10_000 },
      (response) => {
        const ok = response.statusCode === 200;
        response.resume();
        response.once('end', () => done(ok));
        response.once('error', () => done(false));
      },
    );
    request.once('timeout', () => request.destroy(new Error('timeout')));
    request.once('error', () => done(false));
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + (next * 1000) / run.rate <= now) {
        const due = start + (next * 1000) / run.rate;
        next += 1;
        if (inFlight >= maxInFlight) dropped += 1;
        else send(due);
      }
      if (next < total) {
        setTimeout(tick, 1);
        return;
      }
      // All sent: wait for the stragglers (each has its own timeout).
      const drain = (): void => {
        if (inFlight === 0) resolve();
        else setTimeout(drain, 5);
      };
      drain();
    };
    setTimeout(tick, 20);
  });
  agent.destroy();
  const elapsedS = (performance.now() - start) / 1000;
  return {
    scheduled: total,
    completed: latencies.length,
    errors,
    dropped,
    achievedRate: Math.round((latencies.length / elapsedS) * 10) / 10,
    latencyMs: summariseLatencies(latencies),
  };
}
