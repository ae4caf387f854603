import type { LatencyFigures, SoakLevel } from '../benchmarks/soak.ts';
import type { BenchResults } from '../results.ts';

const cells = (values: ReadonlyArray<string | number>): string => `| ${values.map(String).join(' | ')} |`;
const n = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const s = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(ms >= 10_000 ? 1 : 2) : '–');

function pathCells(f: LatencyFigures): string[] {
  return [String(f.requests), String(f.errors), String(f.over5s), n(f.p99Ms), n(f.p999Ms), n(f.maxMs)];
}

/** The issue-16 goals, judged for one level (the 5 s, ratio and error goals hold at every level). */
function goals(level: SoakLevel): Array<[string, string, boolean | null]> {
  const { total } = level;
  // The issue sets "none over 5 s" at 64 connections; at more, a closed loop on a small machine
  // queues by Little's law, so the figure is shown beside the direct path's, not judged.
  const over5s: [string, string, boolean | null] =
    level.connections <= 64
      ? [`requests over 5 s, gated, ${level.connections} connections (0)`, String(total.gate.over5s), total.gate.over5s === 0]
      : [`requests over 5 s, ${level.connections} connections (goal set at 64)`, `gated ${total.gate.over5s}, direct ${total.direct.over5s}`, null];
  return [
    over5s,
    ['gated max ÷ direct max (≤ 2)', `${n(total.gate.maxMs)} ÷ ${n(total.direct.maxMs)} ms = ${level.maxRatio}`, level.maxRatio <= 2],
    ['gated p99 ÷ direct p99 (≤ 1.5)', `${n(total.gate.p99Ms)} ÷ ${n(total.direct.p99Ms)} ms = ${level.p99Ratio}`, level.p99Ratio <= 1.5],
    ['errors, both paths (0)', String(total.gate.errors + total.direct.errors), total.gate.errors + total.direct.errors === 0],
    ['gate RSS drift after the first minute (≤ 5 MiB)', `${n(level.rssDriftMiB, 1)} MiB (anon ${n(level.anonDriftMiB, 1)})`, Number.isFinite(level.rssDriftMiB) && level.rssDriftMiB <= 5],
    ['audit rows − gated answers (0)', `${level.auditRows} − ${level.gatedAnswers} = ${level.auditRows - level.gatedAnswers}`, level.auditRows === level.gatedAnswers],
  ];
}

/** Benchmark 7's section of RESULTS.md: goals per level, then every minute. */
export function soakSection(results: BenchResults): string[] {
  const soak = results.soak;
  if (!soak) return [];
  const lines = [
    '### Soak: gated and direct, interleaved',
    '',
    `${soak.minutesPerLevel} min per connection count, gated and direct alternating in ${soak.sliceSeconds} s slices, closed loop; ` +
      `frames of all ${soak.frameTargets} instances of study ${soak.study} in order, one series-metadata request per ${soak.metadataEvery}. ` +
      'Latency in ms from request to the last body byte, measured by the client; errors are answers other than 200 and requests with no complete answer in 60 s.',
    '',
  ];
  for (const level of soak.levels) {
    lines.push(`**${level.connections} connections**`, '');
    lines.push(cells(['goal', 'this run', '']), cells(['---', '---', '---']));
    for (const [goal, figure, met] of goals(level)) lines.push(cells([goal, figure, met === null ? '–' : met ? 'met' : '**missed**']));
    lines.push('');
    lines.push(
      cells(['min', 'gate req', 'err', '> 5 s', 'p99', 'p99.9', 'max', 'direct req', 'err', '> 5 s', 'p99', 'p99.9', 'max', 'gate RSS MiB', 'anon MiB', 'load']),
      cells(Array.from({ length: 16 }, () => '---')),
    );
    for (const minute of level.minutes) {
      lines.push(
        cells([
          minute.minute,
          ...pathCells(minute.gate),
          ...pathCells(minute.direct),
          n(minute.gateRssMiB, 1),
          n(minute.gateAnonMiB, 1),
          n(minute.loadAverage1m, 1),
        ]),
      );
    }
    lines.push('');
    if (level.slowest.length > 0) {
      lines.push(
        `Slowest: ${level.slowest.map((r) => `${r.path} ${s(r.ms)} s (status ${r.status}, at ${n(r.atSeconds)} s${r.requestId ? `, rid=${r.requestId}` : ''})`).join('; ')}.`,
        '',
      );
    }
  }
  return lines;
}
