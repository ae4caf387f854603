import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DICOM_JSON, MultipartStreamParser, SERIES_ACCEPT } from '@reading-station/contract';
import { ensureSeries100 } from '../data/series-100.ts';
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
// decision with its audit row, so requests/s through the gate are decisions/s. Then a whole
// series as a viewer loads it: every frame of the bench's 100-slice HTJ2K series, one request per
// instance, SERIES_CONCURRENCY at a time, the same way through each path: time to the last byte
// and CPU of nginx, Orthanc and the gate per series. Then the same series as the viewer now
// loads it, in one series retrieval read as it arrives, through the gate (uncached, as series
// retrievals are) and straight from nginx to Orthanc: the same batching both ways.

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

/** One path's measured loads of the whole series in one round. */
interface SeriesLoads {
  round: number;
  loadAverage1m: number;
  /** Each load's time, from its first request to its last byte. */
  loadMs: number[];
  bytes: number;
  /** CPU ms per whole series, by part. */
  cpuMsPerSeries: CpuSnapshot;
  valid: boolean;
}

/** One variant's whole-series loads (a request per frame) in one round. */
export interface SeriesRun extends SeriesLoads {
  variant: CacheVariant;
  frames: number;
  cacheStatus: Record<string, number>;
}

export interface SeriesSummary {
  frames: number;
  rounds: number;
  loadMs: Record<CacheVariant, number>;
  /** CPU ms per whole series of the parts on the path: nginx + Orthanc, and the gate when gated. */
  cpuMs: Record<CacheVariant, number>;
  /** The gate's share of cpuMs (0 when direct: its background work is not on that path). */
  gateCpuMs: Record<CacheVariant, number>;
  /** Median over rounds of gated (warm cache) ÷ direct, time and CPU of the parts on each path. */
  timeRatioCachedToDirect: number;
  cpuRatioCachedToDirect: number;
  timeRatioUncachedToDirect: number;
  hitRatio: number;
}

/** The series in one series retrieval (the viewer's batch), through the gate or straight to Orthanc. */
export type BatchVariant = 'gated' | 'direct';
const BATCH_VARIANTS: readonly BatchVariant[] = ['gated', 'direct'];

/** One path's series retrievals in one round; a load ends at the stream's closing delimiter. */
export interface BatchedSeriesRun extends SeriesLoads {
  variant: BatchVariant;
  instances: number;
}

export interface BatchedSeriesSummary {
  instances: number;
  rounds: number;
  loadMs: Record<BatchVariant, number>;
  /** CPU ms per series of the parts on the path: nginx + Orthanc, and the gate when gated. */
  cpuMs: Record<BatchVariant, number>;
  gateCpuMs: number;
  /** Median over rounds of gated ÷ direct. */
  timeRatioGatedToDirect: number;
  cpuRatioGatedToDirect: number;
}

/** Frames in flight while a series loads (a browser's connections per origin over HTTP/1.1). */
export const SERIES_CONCURRENCY = 6;

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

/** HIT ÷ all cached-location requests over these runs' $upstream_cache_status counts. */
function hitRatio(statuses: ReadonlyArray<Record<string, number>>): number {
  const hits = statuses.reduce((sum, counts) => sum + (counts.HIT ?? 0), 0);
  const all = statuses.reduce((sum, counts) => sum + Object.values(counts).reduce((a, b) => a + b, 0), 0);
  return all === 0 ? Number.NaN : round(hits / all, 4);
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

/** Every frame of one series, SERIES_CONCURRENCY requests at a time; throws on any answer but a 200 with at least minBytes. */
async function loadSeries(urls: readonly string[], headers: Record<string, string>, minBytes: number): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < urls.length) {
      const url = urls[next++] as string;
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
      const body = await response.arrayBuffer();
      if (response.status !== 200 || body.byteLength < minBytes) throw new Error(`series frame ${url}: HTTP ${response.status}, ${body.byteLength} bytes`);
      bytes += body.byteLength;
    }
  };
  await Promise.all(Array.from({ length: SERIES_CONCURRENCY }, worker));
  return { ms: performance.now() - started, bytes };
}

async function runWholeSeries(
  context: BenchContext,
  options: CacheOptions,
  log: string,
): Promise<{ runs: SeriesRun[]; summary: SeriesSummary; batched: { runs: BatchedSeriesRun[]; summary: BatchedSeriesSummary } }> {
  const target = await ensureSeries100(context.stack, path.join(context.stack.file.stateDir, 'bench-data'));
  const seriesPath = `studies/${target.studyInstanceUid}/series/${target.seriesInstanceUid}`;
  const metadata = await fetch(variantUrl(context, 'gate', `${seriesPath}/metadata`), { headers: { Authorization: `Bearer ${await context.admin.token(120)}`, Accept: DICOM_JSON } });
  const instances = ((await metadata.json()) as Array<Record<string, { Value?: string[] }>>).map((item) => item['00080018']?.Value?.[0]).filter((uid): uid is string => uid !== undefined);
  if (metadata.status !== 200 || instances.length === 0) throw new Error(`cache: no instances in the 100-slice series (HTTP ${metadata.status})`);
  const paths = instances.map((uid) => `${seriesPath}/instances/${uid}/frames/1`);
  const frame: Target = { payload: 'htj2k-frame', path: '', accept: FRAME_ACCEPT, minBytes: 1000 };
  const urls = (variant: CacheVariant) => paths.map((framePath) => variantUrl(context, variant === 'direct' ? 'direct' : 'gate', framePath));
  const loads = 3;
  const runs: SeriesRun[] = [];
  for (let r = 0; r < options.rounds; r++) {
    for (const variant of rotated(VARIANTS, r)) {
      const headers = await headersFor(context, frame, variant, 300);
      // Every variant loads the series before it is measured; for the cache, that warms it (twice:
      // the study's first look at Orthanc after it became active renews its revision once).
      await loadSeries(urls(variant), headers, frame.minBytes);
      if (variant === 'cached') {
        await new Promise((resolve) => setTimeout(resolve, 600));
        await loadSeries(urls(variant), headers, frame.minBytes);
      }
      await settle(context);
      const loadAverage1m = loadAverage();
      const logFrom = logSize(log);
      const before = cpuSnapshot(context);
      const loadMs: number[] = [];
      let bytes = 0;
      let valid = true;
      for (let i = 0; i < loads; i++) {
        try {
          const load = await loadSeries(urls(variant), headers, frame.minBytes);
          loadMs.push(round(load.ms, 1));
          bytes = load.bytes;
        } catch (error) {
          valid = false;
          context.log(`cache series ${variant}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const after = cpuSnapshot(context);
      const perSeries = cpuPerRequestMs(before, after, loads);
      const cacheStatus = variant === 'direct' ? {} : cacheStatusSince(log, logFrom);
      runs.push({ round: r + 1, variant, loadAverage1m, loadMs, frames: paths.length, bytes, cpuMsPerSeries: perSeries, cacheStatus, valid });
      context.log(
        `cache r${r + 1} whole series (${paths.length} frames) ${variant.padEnd(8)} ${round(median(loadMs), 1)} ms ` +
          `nginx+orthanc ${(perSeries.nginx + perSeries.orthanc).toFixed(1)} gate ${perSeries.gate.toFixed(1)} ms CPU/series ${JSON.stringify(cacheStatus)}${valid ? '' : ' INVALID'}`,
      );
    }
  }
  const batched = await runBatchedSeries(context, options, seriesPath, paths.length);
  return { runs, summary: summariseSeries(runs, paths.length), batched };
}

/** One series retrieval read as the viewer reads it; throws unless the stream closes with `instances` objects. */
async function loadSeriesBatch(url: string, headers: Record<string, string>, instances: number): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(120_000) });
  const parser = MultipartStreamParser.forContentType(response.headers.get('content-type') ?? '');
  if (response.status !== 200 || !parser || !response.body) throw new Error(`series retrieval ${url}: HTTP ${response.status}, ${response.headers.get('content-type')}`);
  let objects = 0;
  let bytes = 0;
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    objects += parser.push(chunk).length;
  }
  if (!parser.closed || objects !== instances) throw new Error(`series retrieval ${url}: ${objects} of ${instances} objects${parser.closed ? '' : ', cut short'}`);
  return { ms: performance.now() - started, bytes };
}

async function runBatchedSeries(context: BenchContext, options: CacheOptions, seriesPath: string, instances: number): Promise<{ runs: BatchedSeriesRun[]; summary: BatchedSeriesSummary }> {
  const loads = 3;
  const runs: BatchedSeriesRun[] = [];
  for (let r = 0; r < options.rounds; r++) {
    for (const variant of rotated(BATCH_VARIANTS, r)) {
      const url = variantUrl(context, variant === 'direct' ? 'direct' : 'gate', seriesPath);
      const headers = { Authorization: `Bearer ${await context.admin.token(300)}`, Accept: SERIES_ACCEPT };
      await loadSeriesBatch(url, headers, instances);
      await settle(context);
      const loadAverage1m = loadAverage();
      const before = cpuSnapshot(context);
      const loadMs: number[] = [];
      let bytes = 0;
      let valid = true;
      for (let i = 0; i < loads; i++) {
        try {
          const load = await loadSeriesBatch(url, headers, instances);
          loadMs.push(round(load.ms, 1));
          bytes = load.bytes;
        } catch (error) {
          valid = false;
          context.log(`cache batched series ${variant}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const perSeries = cpuPerRequestMs(before, cpuSnapshot(context), loads);
      runs.push({ round: r + 1, variant, loadAverage1m, loadMs, instances, bytes, cpuMsPerSeries: perSeries, valid });
      context.log(
        `cache r${r + 1} whole series in one retrieval (${instances} instances) ${variant.padEnd(6)} ${round(median(loadMs), 1)} ms ` +
          `nginx+orthanc ${(perSeries.nginx + perSeries.orthanc).toFixed(1)} gate ${perSeries.gate.toFixed(1)} ms CPU/series${valid ? '' : ' INVALID'}`,
      );
    }
  }
  return { runs, summary: summariseBatchedSeries(runs, instances) };
}

export function summariseBatchedSeries(runs: readonly BatchedSeriesRun[], instances: number): BatchedSeriesSummary {
  const of = (variant: BatchVariant) => runs.filter((run) => run.valid && run.variant === variant);
  const time = (run: BatchedSeriesRun) => median(run.loadMs);
  const gate = (run: BatchedSeriesRun) => (run.variant === 'direct' ? 0 : run.cpuMsPerSeries.gate);
  const cpu = (run: BatchedSeriesRun) => run.cpuMsPerSeries.nginx + run.cpuMsPerSeries.orthanc + gate(run);
  const ratio = (value: (run: BatchedSeriesRun) => number): number => {
    const ratios = of('gated').flatMap((run) => {
      const base = of('direct').find((candidate) => candidate.round === run.round);
      return base ? [value(run) / value(base)] : [];
    });
    return round(median(ratios), 3);
  };
  return {
    instances,
    rounds: Math.min(of('gated').length, of('direct').length),
    loadMs: { gated: round(median(of('gated').map(time)), 1), direct: round(median(of('direct').map(time)), 1) },
    cpuMs: { gated: round(median(of('gated').map(cpu)), 1), direct: round(median(of('direct').map(cpu)), 1) },
    gateCpuMs: round(median(of('gated').map(gate)), 1),
    timeRatioGatedToDirect: ratio(time),
    cpuRatioGatedToDirect: ratio(cpu),
  };
}

export function summariseSeries(runs: readonly SeriesRun[], frames: number): SeriesSummary {
  const of = (variant: CacheVariant) => runs.filter((run) => run.valid && run.variant === variant);
  const time = (run: SeriesRun) => median(run.loadMs);
  const gate = (run: SeriesRun) => (run.variant === 'direct' ? 0 : run.cpuMsPerSeries.gate);
  const cpu = (run: SeriesRun) => run.cpuMsPerSeries.nginx + run.cpuMsPerSeries.orthanc + gate(run);
  const pick = (value: (run: SeriesRun) => number): Record<CacheVariant, number> => ({
    uncached: round(median(of('uncached').map(value)), 1),
    cached: round(median(of('cached').map(value)), 1),
    direct: round(median(of('direct').map(value)), 1),
  });
  const perRound = (value: (run: SeriesRun) => number, numerator: CacheVariant): number => {
    const ratios: number[] = [];
    for (const run of of(numerator)) {
      const base = of('direct').find((candidate) => candidate.round === run.round);
      if (base) ratios.push(value(run) / value(base));
    }
    return round(median(ratios), 3);
  };
  return {
    frames,
    rounds: Math.min(of('uncached').length, of('cached').length, of('direct').length),
    loadMs: pick(time),
    cpuMs: pick(cpu),
    gateCpuMs: pick(gate),
    timeRatioCachedToDirect: perRound(time, 'cached'),
    cpuRatioCachedToDirect: perRound(cpu, 'cached'),
    timeRatioUncachedToDirect: perRound(time, 'uncached'),
    hitRatio: hitRatio(of('cached').map((run) => run.cacheStatus)),
  };
}

export async function runNginxCache(
  context: BenchContext,
  options: CacheOptions,
): Promise<{ runs: CacheRun[]; summary: CacheSummaryRow[]; series: { runs: SeriesRun[]; summary: SeriesSummary; batched: { runs: BatchedSeriesRun[]; summary: BatchedSeriesSummary } } }> {
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
  const series = await runWholeSeries(context, options, log);
  return { runs, summary: summariseCache(runs, targets.map((target) => target.payload)), series };
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
      hitRatio: hitRatio(of('cached').map((run) => run.cacheStatus)),
    };
  });
}
