import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DICOM_JSON } from '@reading-station/contract';
import { runWrk, type LoadResult } from '../load/wrk.ts';
import { loadAverage } from '../machine.ts';
import { median, round } from '../stats.ts';
import { BENCH_NO_CACHE_HEADER } from '../stack/bench-nginx.ts';
import { FRAME_ACCEPT, cpuPerRequestMs, cpuSnapshot, probe, rotated, settle, variantUrl, type BenchContext, type CpuSnapshot } from './context.ts';

// nginx's DICOMweb cache behind the gate (docs/operations.md, "The DICOMweb cache").
// The same gated request, in the same run: uncached (the bench nginx's cached location told to
// bypass and not store by a bench-only header, so every answer comes from Orthanc through the
// same directives) against cached (warm), and nginx straight to Orthanc (a) for the gated ÷
// direct ratio. CPU of nginx + Orthanc per request from /proc; every gated request is still a
// decision with its audit row, so requests/s through the gate are decisions/s.

export type CacheVariant = 'uncached' | 'cached' | 'direct';
export type CachePayload = 'series-metadata' | 'htj2k-frame';
const VARIANTS: readonly CacheVariant[] = ['uncached', 'cached', 'direct'];

export interface CacheRun {
  round: number;
  payload: CachePayload;
  variant: CacheVariant;
  loadAverage1m: number;
  result: LoadResult;
  cpuMsPerRequest: CpuSnapshot;
  /** nginx's $upstream_cache_status counts over the run's internal requests (gated variants). */
  cacheStatus: Record<string, number>;
  valid: boolean;
}

export interface CacheSummaryRow {
  payload: CachePayload;
  rounds: number;
  requestsPerSecond: Record<CacheVariant, number>;
  p50Ms: Record<CacheVariant, number>;
  p99Ms: Record<CacheVariant, number>;
  /** nginx + Orthanc CPU ms per request. */
  nginxOrthancCpuMs: Record<CacheVariant, number>;
  gateCpuMs: Record<CacheVariant, number>;
  /** Median over rounds of (nginx + Orthanc CPU per cached request) ÷ (same, uncached). */
  cpuRatioCachedToUncached: number;
  /** Median over rounds of cached ÷ direct requests/s. */
  ratioCachedToDirect: number;
  ratioUncachedToDirect: number;
  /** HIT ÷ all internal requests of the cached runs. */
  hitRatio: number;
}

export interface CacheOptions {
  rounds: number;
  durationSeconds: number;
  connections: number;
}

interface Target {
  payload: CachePayload;
  path: string;
  accept: string;
  minBytes: number;
}

async function seriesMetadataTarget(context: BenchContext): Promise<Target> {
  const token = await context.admin.token(120);
  const url = variantUrl(context, 'gate', `studies/${context.smallStudyUid}/series`);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: DICOM_JSON } });
  const series = (await response.json()) as Array<Record<string, { Value?: string[] }>>;
  const uid = series[0]?.['0020000E']?.Value?.[0];
  if (response.status !== 200 || uid === undefined) throw new Error(`cache: no series in study ${context.smallStudyUid} (HTTP ${response.status})`);
  return { payload: 'series-metadata', path: `studies/${context.smallStudyUid}/series/${uid}/metadata`, accept: DICOM_JSON, minBytes: 10_000 };
}

function accessLog(context: BenchContext): string {
  return path.join(path.dirname(path.dirname(context.nginx.configFile)), 'logs', 'nginx-access.log');
}

function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** $upstream_cache_status of the cached-location requests logged after byte `from`. */
function cacheStatusSince(file: string, from: number): Record<string, number> {
  const counts: Record<string, number> = {};
  const text = readFileSync(file).subarray(from).toString('utf8');
  for (const line of text.split('\n')) {
    if (!line.includes('/internal-orthanc/cached/')) continue;
    const status = / cache=(\S+)$/.exec(line)?.[1] ?? '?';
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

async function headersFor(context: BenchContext, target: Target, variant: CacheVariant, validSeconds: number): Promise<Record<string, string>> {
  return {
    Authorization: `Bearer ${await context.admin.token(validSeconds)}`,
    Accept: target.accept,
    ...(variant === 'uncached' && { [BENCH_NO_CACHE_HEADER]: '1' }),
  };
}

function urlFor(context: BenchContext, variant: CacheVariant, target: Target): string {
  return variantUrl(context, variant === 'direct' ? 'direct' : 'gate', target.path);
}

export async function runNginxCache(context: BenchContext, options: CacheOptions): Promise<{ runs: CacheRun[]; summary: CacheSummaryRow[] }> {
  const frame = context.payloads['htj2k-512'];
  const targets: Target[] = [
    await seriesMetadataTarget(context),
    { payload: 'htj2k-frame', path: frame.path, accept: FRAME_ACCEPT, minBytes: frame.frameBytes },
  ];
  const log = accessLog(context);
  for (const target of targets) {
    for (const variant of VARIANTS) {
      const answer = await probe(urlFor(context, variant, target), await headersFor(context, target, variant, 120));
      if (answer.status !== 200 || answer.bytes < target.minBytes) {
        throw new Error(`cache ${variant} ${target.payload}: expected 200 with ≥ ${target.minBytes} bytes, got ${answer.status} with ${answer.bytes}`);
      }
    }
  }

  const runs: CacheRun[] = [];
  for (let r = 0; r < options.rounds; r++) {
    for (const target of targets) {
      for (const variant of rotated(VARIANTS, r)) {
        if (variant === 'cached') {
          // Warm: the study's revision settles after the gate's first look at Orthanc.
          for (let i = 0; i < 3; i++) {
            await probe(urlFor(context, variant, target), await headersFor(context, target, variant, 120));
            await new Promise((resolve) => setTimeout(resolve, 300));
          }
        }
        await settle(context);
        const headers = await headersFor(context, target, variant, options.durationSeconds + 120);
        const loadAverage1m = loadAverage();
        const logFrom = logSize(log);
        const before = cpuSnapshot(context);
        const result = await runWrk({ url: urlFor(context, variant, target), headers, connections: options.connections, durationSeconds: options.durationSeconds, timeoutSeconds: 30 });
        const after = cpuSnapshot(context);
        const cacheStatus = variant === 'direct' ? {} : cacheStatusSince(log, logFrom);
        const valid = result.errors === 0 && result.requests > 0 && result.bytesPerRequest >= target.minBytes;
        runs.push({ round: r + 1, payload: target.payload, variant, loadAverage1m, result, cpuMsPerRequest: cpuPerRequestMs(before, after, result.requests), cacheStatus, valid });
        context.log(
          `cache r${r + 1} ${target.payload} ${variant.padEnd(8)} ${result.requestsPerSecond.toFixed(1).padStart(8)} req/s p50 ${result.latencyMs.p50} ms ` +
            `nginx+orthanc ${((runs.at(-1)?.cpuMsPerRequest.nginx ?? 0) + (runs.at(-1)?.cpuMsPerRequest.orthanc ?? 0)).toFixed(3)} ms/req ${JSON.stringify(cacheStatus)}${valid ? '' : ' INVALID'}`,
        );
      }
    }
  }
  return { runs, summary: summariseCache(runs, targets.map((target) => target.payload)) };
}

export function summariseCache(runs: readonly CacheRun[], payloads: readonly CachePayload[]): CacheSummaryRow[] {
  return payloads.map((payload) => {
    const cell = runs.filter((run) => run.valid && run.payload === payload);
    const of = (variant: CacheVariant) => cell.filter((run) => run.variant === variant);
    const pick = (value: (run: CacheRun) => number): Record<CacheVariant, number> => ({
      uncached: round(median(of('uncached').map(value)), 3),
      cached: round(median(of('cached').map(value)), 3),
      direct: round(median(of('direct').map(value)), 3),
    });
    const pipeCpu = (run: CacheRun) => run.cpuMsPerRequest.nginx + run.cpuMsPerRequest.orthanc;
    const perRound = (value: (numerator: CacheRun, denominator: CacheRun) => number, numerator: CacheVariant, denominator: CacheVariant): number => {
      const ratios: number[] = [];
      for (const run of of(numerator)) {
        const base = of(denominator).find((candidate) => candidate.round === run.round);
        if (base) ratios.push(value(run, base));
      }
      return round(median(ratios), 3);
    };
    const statuses = of('cached').map((run) => run.cacheStatus);
    const hits = statuses.reduce((sum, counts) => sum + (counts.HIT ?? 0), 0);
    const all = statuses.reduce((sum, counts) => sum + Object.values(counts).reduce((a, b) => a + b, 0), 0);
    return {
      payload,
      rounds: Math.min(of('uncached').length, of('cached').length, of('direct').length),
      requestsPerSecond: pick((run) => run.result.requestsPerSecond),
      p50Ms: pick((run) => run.result.latencyMs.p50),
      p99Ms: pick((run) => run.result.latencyMs.p99),
      nginxOrthancCpuMs: pick(pipeCpu),
      gateCpuMs: pick((run) => run.cpuMsPerRequest.gate),
      cpuRatioCachedToUncached: perRound((cached, uncached) => pipeCpu(cached) / pipeCpu(uncached), 'cached', 'uncached'),
      ratioCachedToDirect: perRound((a, b) => a.result.requestsPerSecond / b.result.requestsPerSecond, 'cached', 'direct'),
      ratioUncachedToDirect: perRound((a, b) => a.result.requestsPerSecond / b.result.requestsPerSecond, 'uncached', 'direct'),
      hitRatio: all === 0 ? Number.NaN : round(hits / all, 4),
    };
  });
}
