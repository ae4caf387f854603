import { SERIES_CONCURRENCY, type BatchedSeriesSummary, type SeriesSummary } from '../benchmarks/nginx-cache.ts';
import type { BenchResults } from '../results.ts';

const n = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

/** The cache benchmark in RESULTS.md: nginx's DICOMweb cache, uncached against cached through the gate, and direct. */
export function cacheSection(results: BenchResults): string[] {
  const cache = results.cache;
  if (!cache) return [];
  const line = (cells: ReadonlyArray<string | number>): string => `| ${cells.map(String).join(' | ')} |`;
  const header = ['answer', 'path', 'req/s (gated: decisions/s)', 'p50 ms', 'p99 ms', 'nginx + Orthanc CPU ms/req', 'gate CPU ms/req'];
  const rows: string[] = [];
  for (const row of cache.summary) {
    for (const variant of ['uncached', 'cached', 'direct'] as const) {
      rows.push(
        line([row.payload, variant === 'direct' ? 'direct (nginx → Orthanc)' : `gate, ${variant}`, n(row.requestsPerSecond[variant], 1), n(row.p50Ms[variant]), n(row.p99Ms[variant]), n(row.nginxOrthancCpuMs[variant], 3), variant === 'direct' ? '–' : n(row.gateCpuMs[variant], 3)]),
      );
    }
  }
  const ratios = cache.summary.map(
    (row) =>
      line([row.payload, n(row.cpuRatioCachedToUncached, 3), n(row.ratioCachedToDirect, 2), n(row.ratioUncachedToDirect, 2), `${n(row.hitRatio * 100, 2)} %`, row.rounds]),
  );
  return [
    '### nginx DICOMweb cache (series metadata and a 512×512 HTJ2K frame, admin token, 8 connections)',
    '',
    line(header),
    line(header.map(() => '---')),
    ...rows,
    '',
    line(['answer', 'nginx + Orthanc CPU cached ÷ uncached', 'gated cached ÷ direct req/s', 'gated uncached ÷ direct req/s', 'hit ratio (cached runs)', 'rounds']),
    line(['---', '---', '---', '---', '---', '---']),
    ...ratios,
    '',
    ...seriesLines(cache.series?.summary, line),
    ...batchedLines(cache.series?.batched?.summary, line),
  ];
}

function batchedLines(batched: BatchedSeriesSummary | undefined, line: (cells: ReadonlyArray<string | number>) => string): string[] {
  if (batched === undefined) return [];
  return [
    `#### The same series in one series retrieval (${batched.instances} instances in one multipart stream, as the viewer loads it)`,
    '',
    line(['path', 'time to the closing delimiter ms', 'CPU ms per series on the path (nginx + Orthanc + gate when gated)', 'of which the gate']),
    line(['---', '---', '---', '---']),
    line(['gate (one decision, one audit row)', n(batched.loadMs.gated, 1), n(batched.cpuMs.gated, 1), n(batched.gateCpuMs, 1)]),
    line(['direct (nginx → Orthanc)', n(batched.loadMs.direct, 1), n(batched.cpuMs.direct, 1), '–']),
    '',
    line(['gated ÷ direct, time', 'gated ÷ direct, CPU', 'rounds']),
    line(['---', '---', '---']),
    line([n(batched.timeRatioGatedToDirect, 3), n(batched.cpuRatioGatedToDirect, 3), batched.rounds]),
    '',
  ];
}

function seriesLines(series: SeriesSummary | undefined, line: (cells: ReadonlyArray<string | number>) => string): string[] {
  if (series === undefined) return [];
  const path = (variant: 'uncached' | 'cached' | 'direct') => (variant === 'direct' ? 'direct (nginx → Orthanc)' : `gate, ${variant}`);
  return [
    `#### A whole series (${series.frames} HTJ2K frames, one request each, ${SERIES_CONCURRENCY} at a time)`,
    '',
    line(['path', 'time to the last frame ms', 'CPU ms per series on the path (nginx + Orthanc + gate when gated)', 'of which the gate']),
    line(['---', '---', '---', '---']),
    ...(['uncached', 'cached', 'direct'] as const).map((variant) =>
      line([path(variant), n(series.loadMs[variant], 1), n(series.cpuMs[variant], 1), variant === 'direct' ? '–' : n(series.gateCpuMs[variant], 1)]),
    ),
    '',
    line(['gated cached ÷ direct, time', 'gated cached ÷ direct, CPU', 'gated uncached ÷ direct, time', 'hit ratio (cached loads)', 'rounds']),
    line(['---', '---', '---', '---', '---']),
    line([n(series.timeRatioCachedToDirect, 3), n(series.cpuRatioCachedToDirect, 3), n(series.timeRatioUncachedToDirect, 3), `${n(series.hitRatio * 100, 2)} %`, series.rounds]),
    '',
  ];
}
