import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const reportScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wrk-report.lua');

/** Installs Debian's wrk when it is missing, as scripts/lib.sh does for the other system packages. */
export function ensureWrk(log: (message: string) => void): void {
  try {
    execFileSync('wrk', ['-v'], { stdio: 'ignore' });
    return;
  } catch (error) {
    // wrk -v exits 1 after printing its version; only a missing binary is ENOENT.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
  }
  log('installing wrk (Debian package)');
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]): void => {
    const [command, ...rest] = [...asRoot, ...args];
    execFileSync(command as string, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  try {
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'wrk']);
  } catch {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'wrk']);
  }
}

const WrkJson = z.object({
  requests: z.number().int().nonnegative(),
  durationUs: z.number().positive(),
  bytes: z.number().nonnegative(),
  errors: z.object({ connect: z.number(), read: z.number(), write: z.number(), status: z.number(), timeout: z.number() }),
  latencyUs: z.object({
    min: z.number(),
    mean: z.number(),
    max: z.number(),
    stdev: z.number(),
    p50: z.number(),
    p90: z.number(),
    p99: z.number(),
    p999: z.number(),
  }),
});

export interface LoadResult {
  requests: number;
  durationS: number;
  requestsPerSecond: number;
  /** Response bytes (headers included) per second, MiB. */
  mibPerSecond: number;
  bytesPerRequest: number;
  /** Socket errors, timeouts and answers with status ≥ 400. */
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

const ms = (us: number): number => Math.round(us) / 1000;

/** Reads the JSON line wrk-report.lua prints. */
export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout.slice(-2000)}`);
  const raw = WrkJson.parse(JSON.parse(line.slice('WRK_JSON '.length)));
  const durationS = raw.durationUs / 1e6;
  const errors = Object.values(raw.errors).reduce((a, b) => a + b, 0);
  return {
    requests: raw.requests,
    durationS: Math.round(durationS * 1000) / 1000,
    requestsPerSecond: Math.round((raw.requests / durationS) * 10) / 10,
    mibPerSecond: Math.round((raw.bytes / durationS / 2 ** 20) * 10) / 10,
    bytesPerRequest: raw.requests > 0 ? Math.round(raw.bytes / raw.requests) : 0,
    errors,
    latencyMs: {
      p50: ms(raw.latencyUs.p50),
      p90: ms(raw.latencyUs.p90),
      p99: ms(raw.latencyUs.p99),
      p999: ms(raw.latencyUs.p999),
      max: ms(raw.latencyUs.max),
      mean: ms(raw.latencyUs.mean),
    },
  };
}

export interface WrkRun {
  url: string;
  headers: Readonly<Record<string, string>>;
  connections: number;
  durationSeconds: number;
  /** Per-request timeout; a slower answer counts as an error. */
  timeoutSeconds?: number;
}

/**
 * One closed-loop wrk run: `connections` keep-alive connections, each sending its next request as
 * soon as the previous answer is complete, for `durationSeconds`. Two threads: one per core.
 * Bounded by wrk's own duration and, should wrk hang, by a kill after twice that plus 30 s.
 */
export async function runWrk(run: WrkRun): Promise<LoadResult> {
  const threads = Math.min(2, run.connections);
  const args = [
    `-t${threads}`,
    `-c${run.connections}`,
    `-d${run.durationSeconds}s`,
    `--timeout`,
    `${run.timeoutSeconds ?? 10}s`,
    '-s',
    reportScript,
    run.url,
  ];
  const headers = Object.entries(run.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      'wrk',
      args,
      { env: { ...process.env, WRK_HEADERS: headers }, timeout: (run.durationSeconds * 2 + 30) * 1000, maxBuffer: 1 << 20 },
      (error, out, err) => (error ? reject(new Error(`wrk failed: ${error.message}\n${err}`)) : resolve(out)),
    );
  });
  return parseWrkOutput(stdout);
}
