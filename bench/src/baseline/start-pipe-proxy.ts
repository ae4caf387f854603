import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pipe-proxy-main.ts');

export interface RunningPipeProxy {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/** Starts the baseline proxy as a child process and waits until it answers. */
export async function startPipeProxy(options: {
  port: number;
  orthancUrl: string;
  orthancAuthorization: string;
  logFile: string;
}): Promise<RunningPipeProxy> {
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        PIPE_PORT: String(options.port),
        PIPE_ORTHANC_URL: options.orthancUrl,
        PIPE_ORTHANC_AUTHORIZATION: options.orthancAuthorization,
      },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the pipe proxy; see ${options.logFile}`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the pipe proxy exited during start; see ${options.logFile}`);
    const answered = await fetch(`${url}/`, { signal: AbortSignal.timeout(500) }).then(
      async (r) => (await r.arrayBuffer(), true),
      () => false,
    );
    if (answered) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the pipe proxy did not listen on ${url} within 15 s; see ${options.logFile}`);
    }
    await sleep(100);
  }
  return {
    pid,
    url,
    async stop(): Promise<void> {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
