import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

let dir: string;
let child: ChildProcess | undefined;
let blocker: Server | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rs-main-'));
});

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  child = undefined;
  if (blocker !== undefined) await new Promise((resolve) => blocker?.close(resolve));
  blocker = undefined;
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, args: string[] = []): Run {
  const spawned = spawn(process.execPath, [MAIN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, RS_LOG_LEVEL: 'warn', RS_DB_FILENAME: path.join(dir, 'rs.sqlite'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = spawned;
  let stdout = '';
  let stderr = '';
  spawned.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  spawned.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => spawned.once('exit', (code) => resolve(code)));
  return { process: spawned, stdout: () => stdout, stderr: () => stderr, exited };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHealth(port: number, run: Run): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (run.process.exitCode !== null) throw new Error(`proxy-server exited early: ${run.stderr()}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`proxy-server did not answer: ${run.stderr()}`);
}

describe('main', { timeout: 30_000 }, () => {
  it('prints each bad setting on one line and exits 1, without a stack trace', async () => {
    const run = start({ RS_PORT: 'abc', RS_LOG_LEVEL: 'loud' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(
      [
        'config: listen.port: expected an integer between 1 and 65535 (got "abc" from RS_PORT)',
        'config: logLevel: expected one of fatal, error, warn, info, debug, trace, silent (got "loud" from RS_LOG_LEVEL)',
        '',
      ].join('\n'),
    );
  });

  it('names an unreadable config file', async () => {
    const run = start({}, ['--config', path.join(dir, 'missing.json')]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(`config: cannot read config file ${path.join(dir, 'missing.json')}: no such file\n`);
  });

  it('says in one line that the CA file of the syslog collector cannot be read, before listening', async () => {
    const run = start({ RS_PORT: String(await freePort()), RS_AUDIT_SYSLOG_HOST: '127.0.0.1', RS_AUDIT_SYSLOG_CA_FILE: path.join(dir, 'no-ca.pem') });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(`proxy-server: audit.syslog: ENOENT: no such file or directory, open '${path.join(dir, 'no-ca.pem')}'\n`);
  });

  it('says in one line that the port is taken', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const run = start({ RS_PORT: String(port) });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(`proxy-server: cannot listen on 127.0.0.1:${port}: the address is already in use (another proxy-server? set listen.port / RS_PORT)\n`);
  });

  it('migrates, serves, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const run = start({ RS_PORT: String(port), RS_LOG_LEVEL: 'info' });
    await waitForHealth(port, run);
    expect((await fetch(`http://127.0.0.1:${port}/api/readyz`)).status).toBe(503);
    run.process.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const messages = run.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(['database ready', 'shutting down: finishing requests in flight']));
  });
});
