import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IPC_REQUEST_CHANNELS, type ReadingStationBridge } from '@reading-station/contract';
import { createFakeElectron } from '../fake-electron.ts';
import { APP_ORIGIN, HOST_MAIN_PROCESS, transpilePreload, type HostInbound, type HostOutbound } from './index.ts';

/*
 * The desktop test host cannot drift from the desktop app: its main process answers exactly the
 * contract's channels, through ipc-main.ts's checks, and its page bridge is preload.ts itself,
 * whose methods together use exactly those channels.
 */

describe('the desktop test host', () => {
  let userData: string;
  let child: ChildProcess;
  let ready: Extract<HostOutbound, { type: 'ready' }>;
  const inbox: HostOutbound[] = [];
  let nextId = 1;

  const next = (predicate: (message: HostOutbound) => boolean) =>
    new Promise<HostOutbound>((resolve) => {
      const seen = inbox.find(predicate);
      if (seen) return resolve(seen);
      const listener = (message: HostOutbound) => {
        if (!predicate(message)) return;
        child.off('message', listener);
        resolve(message);
      };
      child.on('message', listener);
    });

  const invoke = async (channel: string, args: unknown[], frameUrl: string | null = `${APP_ORIGIN}/index.html`) => {
    const id = nextId++;
    child.send({ type: 'invoke', id, channel, frameUrl, args } satisfies HostInbound);
    return next((message) => message.type === 'result' && message.id === id);
  };

  beforeAll(async () => {
    userData = mkdtempSync(join(tmpdir(), 'rs-desktop-host-'));
    // No D-Bus session: nothing here reaches the keychain.
    child = fork(HOST_MAIN_PROCESS, [], { env: { PATH: process.env.PATH ?? '', RS_HOST_USER_DATA: userData }, execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    child.on('message', (message: HostOutbound) => inbox.push(message));
    ready = (await next((message) => message.type === 'ready')) as typeof ready;
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'quit' } satisfies HostInbound);
      await exited;
    }
    rmSync(userData, { recursive: true, force: true });
  });

  it('registers a handler for exactly the channels of the IPC contract', () => {
    expect([...ready.channels].sort()).toEqual([...IPC_REQUEST_CHANNELS].sort());
    expect(ready.pageServerUrl).toBeNull();
  });

  it("applies ipc-main.ts's sender and argument checks, and refuses channels that do not exist", async () => {
    expect(await invoke('rs:settings:get-server', [])).toMatchObject({ ok: true, value: { serverUrl: '', editable: true } });
    expect(await invoke('rs:settings:get-server', [], 'https://evil.example/index.html')).toMatchObject({
      ok: false,
      message: expect.stringContaining('refused a call from a frame outside the app (https://evil.example)'),
    });
    expect(await invoke('rs:settings:get-server', [], null)).toMatchObject({ ok: false, message: expect.stringContaining('(no frame)') });
    const password = randomBytes(12).toString('base64url');
    const malformed = await invoke('rs:auth:login', [{ username: 'rad', password, extra: true }]);
    expect(malformed).toMatchObject({ ok: false, message: expect.stringContaining('rs:auth:login: malformed arguments') });
    expect(JSON.stringify(malformed)).not.toContain(password);
    expect(await invoke('rs:secret:get', [])).toMatchObject({ ok: false, message: expect.stringContaining("No handler registered for 'rs:secret:get'") });
  });

  it('stores a new server in settings.json and reloads the page for its CSP, as main.ts does', async () => {
    expect(await invoke('rs:settings:set-server-url', ['http://127.0.0.1:8080/'])).toMatchObject({ ok: true, value: { serverUrl: 'http://127.0.0.1:8080' } });
    expect(await next((message) => message.type === 'reload')).toEqual({ type: 'reload', pageServerUrl: 'http://127.0.0.1:8080' });
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8'))).toEqual({ serverUrl: 'http://127.0.0.1:8080' });
    expect(await invoke('rs:settings:set-server-url', ['ftp://pacs.example'])).toMatchObject({ ok: false, message: expect.stringContaining('https://') });
  });

  it("gives the page preload.ts's bridge, whose methods use exactly the contract's channels", async () => {
    const electron = createFakeElectron();
    const module = { exports: {} };
    const require = (name: string) => {
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return electron.module;
    };
    runInNewContext(`(function (require, module, exports) {\n${transpilePreload()}\n})`, {})(require, module, module.exports);
    expect([...electron.exposedInMainWorld.keys()]).toEqual(['readingStation']);
    const bridge = electron.exposedInMainWorld.get('readingStation') as ReadingStationBridge;
    await bridge.login({ username: 'rad', password: 'pw' });
    await bridge.logout();
    await bridge.currentSession();
    await bridge.getAccessToken();
    await bridge.refreshAccessToken();
    await bridge.getServerSettings();
    await bridge.setServerUrl('https://pacs.example');
    bridge.onSessionChange(() => undefined)();
    expect([...new Set(electron.ipcRendererInvocations.map(({ channel }) => channel))].sort()).toEqual([...IPC_REQUEST_CHANNELS].sort());
  });
});
