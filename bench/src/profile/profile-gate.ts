import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gateMain, gateNodeFlags, repoRoot } from '@reading-station/stack';
import { frameHeaders, type BenchContext } from '../benchmarks/context.ts';
import { anonMiB, rssMiB } from '../proc.ts';
import { round } from '../stats.ts';
import { runWrk, type LoadResult } from '../load/wrk.ts';
import { loadAverage } from '../machine.ts';
import { summariseCpuProfile, type ProfileSummary } from './cpu-profile.ts';

export interface GateProfile {
  loadAverage1m: number;
  /** The profiled gate's VmRSS and RssAnon once it answers, before any request (absent in older results). */
  rssAtStartMiB?: number;
  anonAtStartMiB?: number;
  /** Throughput of the profiled gate (the profiler costs some). */
  result: LoadResult;
  profileFile: string;
  summary: ProfileSummary;
}

/**
 * Profiles the gate's decisions: a second proxy-server process, with the stack's own
 * configuration except its port, runs under `node --cpu-prof` while wrk sends it audited
 * decisions. The stack's gate is left alone (it is idle meanwhile, so the two never race for the
 * audit chain's head).
 */
export async function profileGateDecisions(
  context: BenchContext,
  options: { port: number; dir: string; durationSeconds: number; connections: number },
): Promise<GateProfile> {
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const config = JSON.parse(readFileSync(context.stack.file.gate.configFile, 'utf8')) as { listen: { host: string; port: number } };
  const configFile = path.join(options.dir, 'gate-config.json');
  writeFileSync(configFile, JSON.stringify({ ...config, listen: { ...config.listen, port: options.port } }, null, 2), { mode: 0o600 });

  const log = openSync(path.join(options.dir, 'gate.log'), 'w');
  const child = spawn(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${options.dir}`, ...gateNodeFlags, gateMain, '--config', configFile],
    { cwd: repoRoot, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', HOME: process.env.HOME ?? '/' }, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${options.port}`;
  try {
    const deadline = Date.now() + 30_000;
    while (!(await fetch(`${base}/api/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the profiled gate did not start; see ${options.dir}/gate.log`);
      await sleep(100);
    }
    // Right after start: the configuration, the database and the routes loaded, nothing asked yet.
    const rssAtStartMiB = round(rssMiB(child.pid as number), 1);
    const anonAtStartMiB = round(anonMiB(child.pid as number), 1);
    const headers = await frameHeaders(context, options.durationSeconds + 60);
    const loadAverage1m = loadAverage();
    const loadStarted = performance.now();
    const result = await runWrk({
      url: `${base}/api/ris/dicom-web/${context.payloads['htj2k-512'].path}`,
      headers,
      connections: options.connections,
      durationSeconds: options.durationSeconds,
    });
    const loadEnded = performance.now();
    child.kill('SIGTERM');
    if ((await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)])) === 'timeout') {
      child.kill('SIGKILL');
      throw new Error('the profiled gate did not stop within 15 s');
    }
    const exitedAt = performance.now();
    // Only the samples taken under load: start-up (module loading, migrations) and shutdown are left out.
    const profileWindow = { fromMicrosBeforeEnd: (exitedAt - loadStarted) * 1000, toMicrosBeforeEnd: (exitedAt - loadEnded) * 1000 };
    const profileName = readdirSync(options.dir).find((name) => name.endsWith('.cpuprofile'));
    if (!profileName) throw new Error(`no .cpuprofile written in ${options.dir}`);
    const profileFile = path.join(options.dir, profileName);
    context.log(`profile: ${result.requestsPerSecond} decisions/s under the profiler; ${profileFile}`);
    return { loadAverage1m, rssAtStartMiB, anonAtStartMiB, result, profileFile, summary: summariseCpuProfile(JSON.parse(readFileSync(profileFile, 'utf8')), { window: profileWindow }) };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}
