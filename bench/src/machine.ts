import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the figures were measured on; every result file and RESULTS.md section carries it. */
export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  kernel: string;
  versions: { node: string; nginx: string; orthanc: string; wrk: string; chromium: string | null };
}

/** The first line a command prints on stdout or stderr (nginx and wrk print versions on stderr; wrk exits 1). */
function firstLine(command: string, args: readonly string[]): string | null {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  if (result.error) return null;
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return text ? (text.split('\n')[0] ?? null) : null;
}

function osName(): string {
  try {
    const line = readFileSync('/etc/os-release', 'utf8').split('\n').find((l) => l.startsWith('PRETTY_NAME='));
    return line ? line.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '') : os.type();
  } catch {
    return os.type();
  }
}

export function machineInfo(orthancVersion: string): MachineInfo {
  const nginx = firstLine('/usr/sbin/nginx', ['-v'])?.replace(/^nginx version:\s*/, '') ?? 'unknown';
  const wrk = firstLine('wrk', ['-v'])?.split(' [')[0] ?? 'not installed';
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: os.release(),
    versions: {
      node: process.version,
      nginx,
      orthanc: orthancVersion,
      wrk,
      chromium: firstLine('/usr/bin/chromium', ['--version']),
    },
  };
}

/** The 1-minute load average, recorded next to every run: the machine is shared. */
export function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}
