import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.ts';

export interface ManagedProcess {
  pid: number;
  /** A string that must appear in /proc/<pid>/cmdline, so `down` never signals a recycled PID. */
  marker: string;
  log: string;
}

export interface StartedProcess extends ManagedProcess {
  /** Resolves with the exit code if the process ends while this runner still watches it. */
  exited: Promise<number | null>;
}

/** Starts a long-running service in its own process group, detached from the runner. */
export function startDetached(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; log: string; marker: string },
): StartedProcess {
  const fd = openSync(options.log, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(null));
    });
    if (child.pid === undefined) {
      throw new StackError(`could not start ${command}; see ${options.log}`);
    }
    child.unref();
    return { pid: child.pid, marker: options.marker, log: options.log, exited };
  } finally {
    closeSync(fd);
  }
}

/** True when `pid` runs and is still the process that was started (its command line has the marker). */
export function isRunning(processInfo: Pick<ManagedProcess, 'pid' | 'marker'>): boolean {
  try {
    process.kill(processInfo.pid, 0);
  } catch {
    return false;
  }
  const cmdlineFile = `/proc/${processInfo.pid}/cmdline`;
  if (!existsSync(cmdlineFile)) return true;
  try {
    const stat = readFileSync(`/proc/${processInfo.pid}/stat`, 'utf8');
    // A zombie has exited; only its parent has not collected it yet.
    if (/\) Z /.test(stat)) return false;
    return readFileSync(cmdlineFile, 'utf8').split('\0').join(' ').includes(processInfo.marker);
  } catch {
    return false;
  }
}

/** Sends `signal`, waits for the process to exit, and kills it after `timeoutMs`. */
export async function stopProcess(
  processInfo: Pick<ManagedProcess, 'pid' | 'marker'>,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 15_000,
): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isRunning(processInfo)) return 'not-running';
  try {
    process.kill(processInfo.pid, signal);
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(processInfo)) return 'stopped';
    await sleep(50);
  }
  try {
    process.kill(processInfo.pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  while (isRunning(processInfo)) await sleep(50);
  return 'killed';
}

/** Fails with a clear message when something already listens on the port. */
export async function assertPortFree(host: string, port: number, what: string, envName: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new StackError(
            `port ${port} on ${host} (${what}) is already in use; stop whatever listens there or choose another port with ${envName}=<port>`,
          ),
        );
      } else {
        reject(new StackError(`cannot bind ${host}:${port} (${what}): ${error.code ?? error.message}`));
      }
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** The last lines of a log, to show when a service fails to start. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `probe` until it returns true, failing early when the process exits and with a clear
 * message (and the log's tail) on timeout.
 */
export async function waitUntilReady(
  name: string,
  started: StartedProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  let exitCode: number | null | undefined;
  void started.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new StackError(`${name} exited during start (code ${exitCode}); its log ${started.log} ends with:\n${logTail(started.log)}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new StackError(`${name} did not become ready within ${timeoutMs / 1000} s; its log ${started.log} ends with:\n${logTail(started.log)}`);
}
