import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

/*
 * The main process's wiring, against the shared stand-in for the `electron` module (testing/
 * fake-electron.ts: no Electron binary runs on the build machines). It shows the order and the
 * calls main.ts makes: privileged scheme and sandbox before ready, the single-instance lock, the
 * IPC handlers, the window with the built preload, and the reload when the server (and so the
 * CSP) changes.
 */

const userData = mkdtempSync(join(tmpdir(), 'rs-main-'));
afterAll(() => rmSync(userData, { recursive: true, force: true }));

const electron = await vi.hoisted(async () => (await import('../testing/fake-electron.ts')).createFakeElectron());
vi.mock('electron', () => electron.module);

async function startMain(lock: boolean) {
  electron.reset();
  electron.appState.singleInstanceLock = lock;
  electron.appState.userDataPath = userData;
  vi.resetModules();
  await import('./main.ts');
  // Let whenReady's continuation (settings read, window creation) run.
  await vi.waitFor(() => {
    if (lock && electron.windows.length === 0) throw new Error('no window yet');
  });
}

const appFrame = { senderFrame: { url: 'app://reading-station/index.html' } };

describe('main process wiring', () => {
  it('registers the app scheme and the sandbox before ready, then opens one hardened window', async () => {
    await startMain(true);
    const order = electron.calls.map((call) => call.split(' ')[0]);
    expect(order.indexOf('registerSchemesAsPrivileged')).toBeLessThan(order.indexOf('whenReady'));
    expect(order.indexOf('enableSandbox')).toBeLessThan(order.indexOf('whenReady'));
    expect(electron.calls).toContain('registerSchemesAsPrivileged [{"scheme":"app","privileges":{"standard":true,"secure":true,"supportFetchAPI":true,"codeCache":true}}]');
    expect(electron.calls).toContain('protocol.handle app');
    expect(electron.calls).toContain('loadURL app://reading-station/index.html');
    expect(electron.windows).toHaveLength(1);
    expect(electron.windows[0]?.options.webPreferences.preload).toMatch(/[\\/]preload[\\/]preload\.js$/);
    expect(electron.module.app.listenerCount('web-contents-created')).toBe(1);
    expect(electron.module.app.listenerCount('second-instance')).toBe(1);
  });

  it('quits at once when another instance holds the lock', async () => {
    await startMain(false);
    expect(electron.calls).toEqual(expect.arrayContaining(['requestSingleInstanceLock', 'quit']));
    expect(electron.calls).not.toContain('whenReady');
    expect(electron.ipcMainHandlers.size).toBe(0);
  });

  it('answers the bridge through guarded handlers and reloads the page when the server changes', async () => {
    await startMain(true);
    const call = (channel: string, ...args: unknown[]) => {
      const handler = electron.ipcMainHandlers.get(channel);
      if (!handler) throw new Error(`no handler for ${channel}`);
      return handler(appFrame, ...args);
    };
    expect(await call('rs:session:current')).toBeNull();
    expect(await call('rs:session:access-token')).toBeNull();
    expect(await call('rs:settings:get-server')).toEqual({ serverUrl: '', editable: true });
    await expect(electron.ipcMainHandlers.get('rs:settings:get-server')?.({ senderFrame: { url: 'https://evil.example/' } })).rejects.toThrow(/refused/);

    expect(await call('rs:settings:set-server-url', 'https://pacs.hospital.example/')).toEqual({ serverUrl: 'https://pacs.hospital.example', editable: true });
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8'))).toEqual({ serverUrl: 'https://pacs.hospital.example' });
    await vi.waitFor(() => expect(electron.windows[0]?.webContents.reloads).toBe(1));
  });
});
