import { AccessTokens, countAuditRows, runClosedLoop, viewerTargets, type LoadRecord, type ViewerTargets } from '@reading-station/stack';
import { loadAverage } from '../machine.ts';
import { anonMiB, rssMiB } from '../proc.ts';
import { round } from '../stats.ts';
import { VARIANT_PREFIX } from '../stack/bench-nginx.ts';
import type { BenchContext } from './context.ts';

/**
 * Benchmark 7, soak (issue 16): minutes of viewer-like load — many frame requests per series
 * metadata request — through the gate and, interleaved slice by slice, straight through nginx to
 * Orthanc, at each connection count. Per minute: errors, max/p99/p99.9 latency per path, the
 * gate's RSS and anonymous memory; at the end, audit rows against gated answers.
 */

export type SoakPath = 'gate' | 'direct';

export interface LatencyFigures {
  requests: number;
  /** Answers other than 200, and requests with no complete answer within the client's 60 s. */
  errors: number;
  over1s: number;
  over5s: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface SoakMinute {
  minute: number;
  gate: LatencyFigures;
  direct: LatencyFigures;
  /** The gate process at the end of the minute. */
  gateRssMiB: number;
  gateAnonMiB: number;
  loadAverage1m: number;
}

export interface SoakLevel {
  connections: number;
  minutes: SoakMinute[];
  total: Record<SoakPath, LatencyFigures>;
  /** Gated ÷ direct over the whole level. */
  maxRatio: number;
  p99Ratio: number;
  /** Gate RSS (and RssAnon) at the end of the last minute minus at the end of the first (warm-up). */
  rssDriftMiB: number;
  anonDriftMiB: number;
  gatedAnswers: number;
  auditRows: number;
  /** A few of the slowest requests, to find in nginx's access log (rid=). */
  slowest: Array<{ path: SoakPath; ms: number; status: number; requestId: string | null; atSeconds: number }>;
}

export interface SoakResult {
  minutesPerLevel: number;
  sliceSeconds: number;
  metadataEvery: number;
  study: string;
  frameTargets: number;
  levels: SoakLevel[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

function figures(records: readonly LoadRecord[]): LatencyFigures {
  const ms = records.map((r) => r.ms).sort((a, b) => a - b);
  return {
    requests: records.length,
    errors: records.filter((r) => r.status !== 200).length,
    over1s: ms.filter((x) => x > 1000).length,
    over5s: ms.filter((x) => x > 5000).length,
    p50Ms: round(quantile(ms, 0.5), 1),
    p99Ms: round(quantile(ms, 0.99), 1),
    p999Ms: round(quantile(ms, 0.999), 1),
    maxMs: round(ms.at(-1) ?? Number.NaN, 1),
  };
}

/** The admin's study with the most frames: the longest scroll through series. */
async function soakTargets(context: BenchContext, tokens: AccessTokens): Promise<{ study: string; gate: ViewerTargets; direct: ViewerTargets }> {
  const admin = context.stack.demoUsers.find((u) => u.username === 'admin');
  if (!admin) throw new Error('no demo admin');
  let best: { study: string; gate: ViewerTargets } | undefined;
  for (const study of admin.studies) {
    const gate = await viewerTargets(context.nginx.baseUrl, tokens, study, VARIANT_PREFIX.gate.replace(/\/$/, ''));
    if (!best || gate.frames.length > best.gate.frames.length) best = { study, gate };
  }
  if (!best) throw new Error('the demo admin sees no study');
  const toDirect = (target: string): string => target.replace(VARIANT_PREFIX.gate, VARIANT_PREFIX.direct);
  return { study: best.study, gate: best.gate, direct: { frames: best.gate.frames.map(toDirect), metadata: best.gate.metadata.map(toDirect) } };
}

export async function runSoak(
  context: BenchContext,
  options: { minutes: number; connections: number[]; sliceSeconds: number; metadataEvery: number },
): Promise<SoakResult> {
  const admin = context.stack.demoUsers.find((u) => u.username === 'admin');
  if (!admin) throw new Error('no demo admin');
  const tokens = new AccessTokens(context.nginx.baseUrl, admin, { renewBeforeMs: 120_000 });
  const targets = await soakTargets(context, tokens);
  // Orthanc computes and caches each series' metadata on first request; do it once before the clock.
  for (const metadata of targets.gate.metadata) {
    const response = await fetch(`${context.nginx.baseUrl}${metadata}`, { headers: { authorization: `Bearer ${await tokens.token()}` } });
    await response.arrayBuffer();
  }
  context.log(`soak: study ${targets.study}, ${targets.gate.frames.length} frames in ${targets.gate.metadata.length} series; ${options.minutes} min per level, ${options.sliceSeconds} s slices`);

  const levels: SoakLevel[] = [];
  for (const connections of options.connections) {
    const minuteMs = 60_000;
    const durationMs = options.minutes * minuteMs;
    const minutes = Math.max(1, Math.ceil(options.minutes));
    const byMinute = Array.from({ length: minutes }, () => ({ gate: [] as LoadRecord[], direct: [] as LoadRecord[] }));
    const memory: Array<{ rss: number; anon: number; load: number }> = [];
    const gatedIds: string[] = [];
    let gatedRecords = 0;
    const started = performance.now();
    let slice = 0;
    // One timer per minute samples the gate's memory at the minute's end.
    const sampler = setInterval(() => {
      memory.push({ rss: rssMiB(context.stack.gatePid), anon: anonMiB(context.stack.gatePid), load: loadAverage() });
    }, minuteMs);
    try {
      while (performance.now() - started < durationMs) {
        const path: SoakPath = slice % 2 === 0 ? 'gate' : 'direct';
        const left = durationMs - (performance.now() - started);
        await runClosedLoop({
          baseUrl: context.nginx.baseUrl,
          tokens,
          targets: targets[path],
          connections,
          durationMs: Math.min(options.sliceSeconds * 1000, left),
          metadataEvery: options.metadataEvery,
          requestTimeoutMs: 60_000,
          startedAt: started,
          onRecord: (record) => {
            const bucket = byMinute[Math.min(minutes - 1, Math.floor(record.at / minuteMs))];
            bucket?.[path].push(record);
            if (path === 'gate') {
              gatedRecords++;
              if (record.status === 200 && record.requestId) gatedIds.push(record.requestId);
            }
          },
        });
        slice++;
      }
    } finally {
      clearInterval(sampler);
    }
    if (memory.length < minutes) memory.push({ rss: rssMiB(context.stack.gatePid), anon: anonMiB(context.stack.gatePid), load: loadAverage() });

    const rows: SoakMinute[] = byMinute.map((bucket, index) => {
      const sample = memory[Math.min(index, memory.length - 1)] ?? { rss: Number.NaN, anon: Number.NaN, load: Number.NaN };
      return {
        minute: index + 1,
        gate: figures(bucket.gate),
        direct: figures(bucket.direct),
        gateRssMiB: round(sample.rss, 1),
        gateAnonMiB: round(sample.anon, 1),
        loadAverage1m: sample.load,
      };
    });
    const all = { gate: byMinute.flatMap((b) => b.gate), direct: byMinute.flatMap((b) => b.direct) };
    const total = { gate: figures(all.gate), direct: figures(all.direct) };
    const auditRows = countAuditRows(context.stack.file.gate.database, gatedIds);
    const first = rows[0];
    const last = rows.at(-1);
    const level: SoakLevel = {
      connections,
      minutes: rows,
      total,
      maxRatio: round(total.gate.maxMs / total.direct.maxMs, 2),
      p99Ratio: round(total.gate.p99Ms / total.direct.p99Ms, 2),
      rssDriftMiB: first && last && rows.length > 1 ? round(last.gateRssMiB - first.gateRssMiB, 1) : Number.NaN,
      anonDriftMiB: first && last && rows.length > 1 ? round(last.gateAnonMiB - first.gateAnonMiB, 1) : Number.NaN,
      gatedAnswers: gatedIds.length,
      auditRows,
      slowest: [...all.gate.map((r) => ({ r, path: 'gate' as const })), ...all.direct.map((r) => ({ r, path: 'direct' as const }))]
        .sort((a, b) => b.r.ms - a.r.ms)
        .slice(0, 5)
        .map(({ r, path }) => ({ path, ms: round(r.ms, 1), status: r.status, requestId: r.requestId, atSeconds: round(r.at / 1000, 1) })),
    };
    levels.push(level);
    for (const row of rows) {
      context.log(
        `soak ${connections} conns min ${row.minute}: gate ${row.gate.requests} req, ${row.gate.errors} err, p99 ${row.gate.p99Ms} max ${row.gate.maxMs} ms; ` +
          `direct ${row.direct.requests} req, ${row.direct.errors} err, p99 ${row.direct.p99Ms} max ${row.direct.maxMs} ms; gate RSS ${row.gateRssMiB} MiB (anon ${row.gateAnonMiB}); load ${row.loadAverage1m}`,
      );
    }
    context.log(
      `soak ${connections} conns: gated/direct max ${level.maxRatio}, p99 ${level.p99Ratio}; over 5 s gate ${total.gate.over5s} direct ${total.direct.over5s}; ` +
        `errors ${total.gate.errors + total.direct.errors}; audit rows ${auditRows} for ${level.gatedAnswers} gated answers (${gatedRecords} sent); RSS drift ${level.rssDriftMiB} MiB`,
    );
  }
  return {
    minutesPerLevel: options.minutes,
    sliceSeconds: options.sliceSeconds,
    metadataEvery: options.metadataEvery,
    study: targets.study,
    frameTargets: targets.gate.frames.length,
    levels,
  };
}
