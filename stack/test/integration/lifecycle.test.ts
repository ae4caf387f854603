import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StackFileSchema } from '../../src/stack-file.ts';
import { runStackCli } from '../support/run-cli.ts';

// A second, private stack on its own ports and state directory, without demo data, so the
// lifecycle can be exercised while the suite's main stack keeps running.
const stateDir = mkdtempSync(path.join(tmpdir(), 'rs-lifecycle-'));
const env = {
  RS_STACK_DIR: stateDir,
  RS_HTTP_PORT: '28080',
  RS_GATE_PORT: '23001',
  RS_ORTHANC_PORT: '28042',
  RS_OPS_PORT: '28081',
  RS_DICOM_PORT: '24242',
  // npm test's stack serves HTTPS on its own port; this one needs another when TLS is on.
  RS_HTTPS_PORT: '28443',
};

function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Alive means running: a zombie (exited, not yet reaped by whichever process adopted it) is not. */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** One error line, naming the problem, and no stack trace. */
function expectOneClearError(stderr: string, pattern: RegExp): void {
  const errorLines = stderr.split('\n').filter((line) => line.includes('error'));
  expect(errorLines.length, stderr).toBeGreaterThanOrEqual(1);
  expect(stderr).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

afterAll(async () => {
  await runStackCli(['down'], env);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('stack lifecycle', () => {
  it('comes up, goes down leaving no process, and comes up again', async () => {
    for (let round = 1; round <= 2; round++) {
      const up = await runStackCli(['up', '--no-demo'], env);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toContain('http://127.0.0.1:28080');

      const stack = StackFileSchema.parse(JSON.parse(readFileSync(path.join(stateDir, 'stack.json'), 'utf8')));
      expect(stack.baseUrl).toBe('http://127.0.0.1:28080');
      const pids = Object.values(stack.processes).map((p) => p?.pid);
      expect(pids).toHaveLength(3);
      for (const pid of pids) expect(pid !== undefined && pidAlive(pid)).toBe(true);

      const health = await fetch(`${stack.baseUrl}/api/healthz`);
      expect(health.status).toBe(200);

      const down = await runStackCli(['down'], env);
      expect(down.code, down.stderr).toBe(0);
      for (const pid of pids) expect(pid !== undefined && pidAlive(pid), `pid ${pid} still alive`).toBe(false);
      expect(processesMentioning(stateDir)).toEqual([]);
      await expect(fetch(`${stack.baseUrl}/api/healthz`)).rejects.toThrow();
    }
  });

  it('a second `up` while running reports the running stack instead of starting another', async () => {
    const first = await runStackCli(['up', '--no-demo'], env);
    expect(first.code, first.stderr).toBe(0);
    const again = await runStackCli(['up', '--no-demo'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already running');
    const down = await runStackCli(['down'], env);
    expect(down.code).toBe(0);
    expect(processesMentioning(stateDir)).toEqual([]);
  });
});

describe('bad configuration stops with one clear message', () => {
  it('names a missing Orthanc and how to get it', async () => {
    const result = await runStackCli(['up', '--no-demo'], { ...env, READING_STATION_ORTHANC_ROOT: path.join(stateDir, 'no-orthanc') });
    expect(result.code).toBe(1);
    expectOneClearError(result.stderr, /Orthanc was not found in .*no-orthanc.*npm run setup/);
  });

  it('refuses an Orthanc older than 1.13, saying HTJ2K needs 1.13', async () => {
    // A stand-in root whose Orthanc reports 1.10.1, as Debian 12's does: only the version check runs.
    const root = path.join(stateDir, 'old-orthanc');
    for (const dir of ['lib64', 'usr/sbin', 'usr/share/orthanc/plugins']) mkdirSync(path.join(root, dir), { recursive: true });
    writeFileSync(path.join(root, 'usr/sbin/Orthanc'), '');
    writeFileSync(path.join(root, 'usr/share/orthanc/plugins/libOrthancDicomWeb.so'), '');
    const loader = path.join(root, 'lib64/ld-linux-x86-64.so.2');
    writeFileSync(loader, '#!/bin/sh\necho "Orthanc 1.10.1"\n');
    chmodSync(loader, 0o755);
    const result = await runStackCli(['up', '--no-demo'], { ...env, READING_STATION_ORTHANC_ROOT: root });
    expect(result.code).toBe(1);
    expectOneClearError(result.stderr, /Orthanc 1\.10\.1 is too old: HTJ2K frames need Orthanc >= 1\.13/);
  });

  it('names the busy port and the variable that moves it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(28099, '127.0.0.1', resolve));
    try {
      const result = await runStackCli(['up', '--no-demo'], { ...env, RS_GATE_PORT: '28099' });
      expect(result.code).toBe(1);
      expectOneClearError(result.stderr, /port 28099 .*proxy-server.* already in use.*RS_GATE_PORT/);
      expect(processesMentioning(stateDir)).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('names an unreadable config file', async () => {
    const missing = path.join(stateDir, 'missing.json');
    const result = await runStackCli(['--config', missing, 'up', '--no-demo'], env);
    expect(result.code).toBe(1);
    expectOneClearError(result.stderr, /cannot read the stack config file .*missing\.json \(ENOENT\)/);
  });

  it('names a config file that is not JSON', async () => {
    const broken = path.join(stateDir, 'broken.json');
    writeFileSync(broken, '{ "ports": ');
    const result = await runStackCli(['--config', broken, 'up', '--no-demo'], env);
    expect(result.code).toBe(1);
    expectOneClearError(result.stderr, /broken\.json is not valid JSON/);
  });

  it('names each bad key with where it came from', async () => {
    const result = await runStackCli(['up', '--no-demo'], { ...env, RS_HTTP_PORT: 'eighty', RS_OPS_PORT: '70000' });
    expect(result.code).toBe(1);
    expectOneClearError(result.stderr, /ports\.http: .*\(from RS_HTTP_PORT\)/);
    expect(result.stderr).toMatch(/ports\.ops: expected a port between 1 and 65535 \(from RS_OPS_PORT\)/);
  });
});
