import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@reading-station/stack';
import type { PayloadName } from './benchmarks/context.ts';

export const BENCHMARKS = ['overhead', 'memory', 'decisions', 'latency', 'profile', 'viewer', 'htj2k', 'cache', 'soak'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];
/** What runs without --only: the soak takes 20 minutes and runs only when asked for. */
export const DEFAULT_BENCHMARKS: readonly BenchmarkName[] = BENCHMARKS.filter((name) => name !== 'soak');

export interface BenchOptions {
  only: ReadonlySet<BenchmarkName>;
  /** Short runs to check the harness; figures from them are not recorded in RESULTS.md. */
  quick: boolean;
  record: boolean;
  keepStack: boolean;
  /** Draw the chart of a results file again instead of measuring. */
  from: string | null;
  stackDir: string;
  stackPorts: { http: number; gate: number; orthanc: number; ops: number };
  benchPorts: { http: number; ops: number; pipe: number; profile: number };
  /**
   * Seconds per run by payload and connection count. Orthanc takes 0.1–0.5 s to serve one 8 MiB
   * frame, so at 128 connections the first answers arrive after tens of seconds: those runs are longer.
   */
  overhead: { rounds: number; connections: number[]; durationSeconds(payload: PayloadName, connections: number): number };
  memory: { rounds: number; durationSeconds: number; connections: number };
  decisions: { rounds: number; durationSeconds: number; connections: number };
  latency: { rounds: number; rates: number[]; durationSeconds: number };
  profile: { durationSeconds: number; connections: number };
  /** nginx's DICOMweb cache: uncached, cached and direct interleaved per round. */
  cache: { rounds: number; durationSeconds: number; connections: number };
  /** Minutes per connection count, gated and direct interleaved in slices (benchmark 7). */
  soak: { minutes: number; connections: number[]; sliceSeconds: number; metadataEvery: number };
}

export const USAGE = `npm run bench [-- options]

Starts a stack on its own ports (or uses the one running from RS_STACK_DIR), runs the benchmarks
and writes bench/results/<date>.json, bench/results/<date>.svg and a section of bench/RESULTS.md.

  --only <list>     comma-separated: ${BENCHMARKS.join(',')} (default: all but soak)
  --soak-minutes <m>  minutes per connection count (64, 200) of the soak (default 10; --quick 1)
  --quick           short runs to check the harness; nothing is added to RESULTS.md
  --no-record       do not append to RESULTS.md
  --rounds <n>      rounds of interleaved variants for the overhead and decisions benchmarks (default 3)
  --duration <s>    seconds per HTJ2K overhead run (default 5; 8 MiB runs take 3× that, 40 s at 128 connections)
  --keep-stack      leave a stack the bench started running
  --from <json>     measure nothing: draw the chart of a results file again
  -h, --help

Environment: RS_STACK_DIR (default bench/.stack), RS_HTTP_PORT/RS_GATE_PORT/RS_ORTHANC_PORT/RS_OPS_PORT
for a stack the bench starts (default 38080/33001/38042/38081), BENCH_HTTP_PORT/BENCH_OPS_PORT
(the bench's own nginx, 38090/38091), BENCH_PIPE_PORT (baseline proxy, 38092), BENCH_PROFILE_PORT
(profiled gate, 38093).`;

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name}=${raw} is not a port number`);
  return value;
}

function positive(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} ${raw}: expected a positive number`);
  return value;
}

/** 64 and 200 connections; gated and direct alternate in slices short enough that each minute has both. */
export function soakOptions(minutes: number): BenchOptions['soak'] {
  return { minutes, connections: [64, 200], sliceSeconds: Math.min(30, (minutes * 60) / 4), metadataEvery: 32 };
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-record': { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      'keep-stack': { type: 'boolean', default: false },
      from: { type: 'string' },
      'soak-minutes': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const only = new Set<BenchmarkName>();
  for (const name of (values.only ?? DEFAULT_BENCHMARKS.join(',')).split(',').map((s) => s.trim())) {
    if (!(BENCHMARKS as readonly string[]).includes(name)) throw new Error(`--only: unknown benchmark "${name}" (known: ${BENCHMARKS.join(', ')})`);
    only.add(name as BenchmarkName);
  }
  const quick = values.quick;
  const rounds = positive(values.rounds, 'rounds', quick ? 1 : 3);
  return {
    only,
    quick,
    record: !quick && !values['no-record'],
    keepStack: values['keep-stack'],
    from: values.from === undefined ? null : path.resolve(values.from),
    stackDir: path.resolve(repoRoot, env.RS_STACK_DIR || 'bench/.stack'),
    stackPorts: {
      http: port(env, 'RS_HTTP_PORT', 38080),
      gate: port(env, 'RS_GATE_PORT', 33001),
      orthanc: port(env, 'RS_ORTHANC_PORT', 38042),
      ops: port(env, 'RS_OPS_PORT', 38081),
    },
    benchPorts: {
      http: port(env, 'BENCH_HTTP_PORT', 38090),
      ops: port(env, 'BENCH_OPS_PORT', 38091),
      pipe: port(env, 'BENCH_PIPE_PORT', 38092),
      profile: port(env, 'BENCH_PROFILE_PORT', 38093),
    },
    overhead: {
      rounds,
      connections: [8, 32, 128],
      durationSeconds: (payload, connections) => {
        const base = positive(values.duration, 'duration', quick ? 2 : 5);
        return payload === 'htj2k-512' ? base : Math.max(3 * base, Math.ceil(connections / 3.2));
      },
    },
    memory: { rounds: 1, durationSeconds: quick ? 6 : 30, connections: 64 },
    decisions: { rounds, durationSeconds: quick ? 3 : 8, connections: 32 },
    latency: { rounds, rates: [100, 500], durationSeconds: quick ? 3 : 10 },
    profile: { durationSeconds: quick ? 3 : 10, connections: 32 },
    cache: { rounds, durationSeconds: quick ? 2 : 5, connections: 8 },
    soak: soakOptions(positive(values['soak-minutes'], 'soak-minutes', quick ? 1 : 10)),
  };
}
