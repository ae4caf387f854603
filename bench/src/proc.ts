import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/**
 * Process figures from /proc: resident memory (VmRSS) and CPU time (utime + stime, all threads).
 * The gate and the baseline proxy are measured from outside, so measuring changes nothing in them.
 */

const CLOCK_TICKS_PER_SECOND = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface StatFields {
  ppid: number;
  cpuSeconds: number;
}

function readStat(pid: number, tid?: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { ppid, cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND };
}

/** CPU seconds a process has used so far (user + system, every thread). */
export function cpuSeconds(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is not running`);
  return stat.cpuSeconds;
}

function statusKiB(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]);
}

/** Resident set size in MiB, from /proc/<pid>/status. */
export function rssMiB(pid: number): number {
  return statusKiB(pid, 'VmRSS') / 1024;
}

/**
 * The anonymous part of the resident set (RssAnon) in MiB: the process's own memory — heaps,
 * stacks, buffers. The rest of VmRSS is file-backed (Node's executable and libraries, mapped from
 * disk and shared with every other process that maps them) and shared memory.
 */
export function anonMiB(pid: number): number {
  return statusKiB(pid, 'RssAnon') / 1024;
}

/** A process and its direct children (nginx's master and workers). */
export function withChildren(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.ppid === pid) children.push(Number(entry));
  }
  return [pid, ...children];
}

/** The threads of a process with their names (`comm`, at most 15 characters); none once it has gone. */
export function threads(pid: number): Array<{ tid: number; name: string }> {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.flatMap((tid) => {
    try {
      return [{ tid: Number(tid), name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() }];
    } catch {
      return [];
    }
  });
}

/** CPU seconds one thread of a process has used so far (user + system); 0 once it has gone. */
export function threadCpuSeconds(pid: number, tid: number): number {
  return readStat(pid, tid)?.cpuSeconds ?? 0;
}

/** Total CPU seconds of a set of processes; ones that have gone count as zero. */
export function groupCpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (readStat(pid)?.cpuSeconds ?? 0), 0);
}

export interface RssSample {
  /** Seconds since sampling started. */
  t: number;
  rssMiB: number;
  /** RssAnon; absent in results recorded before it was sampled. */
  anonMiB?: number;
}

/** Samples a process's RSS every `intervalMs` until stopped. */
export function sampleRss(pid: number, intervalMs = 500): { stop(): RssSample[] } {
  const samples: RssSample[] = [];
  const started = performance.now();
  const take = (): void => {
    try {
      samples.push({
        t: Math.round(performance.now() - started) / 1000,
        rssMiB: Math.round(rssMiB(pid) * 10) / 10,
        anonMiB: Math.round(anonMiB(pid) * 10) / 10,
      });
    } catch {
      // The process went away; the caller sees the gap in the series.
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop(): RssSample[] {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}
