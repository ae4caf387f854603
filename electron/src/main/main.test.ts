import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

/*
 * The main process's wiring, against a STAND-IN for the `electron` module (no Electron binary
 * runs here; see window.test.ts). It shows the order and the calls main.ts makes: privileged
 * scheme and sandbox before ready, the single-instance lock, the IPC handlers, the window with
 * the built preload, and the reload when the server (and so the CSP) changes.
 */

const userData = mkdtempSync(join(tmpdir(), 'rs-main-'));
afterAll(() => rmSync(userData, { recursive: true, force: true }));

const standIn = await vi.hoisted(async () => {
  const { EventEmitter } = await import('node:events');
  const calls: string[] = [];
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
  const windows: Array<{ options: { webPreferences: { preload: string } }; webContents: { reloads: number } }> = [];
  const state = { lock: true, userData: '' };
  class FakeContents extends EventEmitter {
    reloads = 0;
    setWindowOpenHandler() {}
    reload() {
      this.reloads += 1;
    }
    isDestroyed() {
      return false;
    }
    getURL() {
      return 'app://reading-station/index.html';
    }
    send() {}
  }
  class FakeWindow extends EventEmitter {
    webContents = new FakeContents();
    options: { webPreferences: { preload: string } };
    constructor(options: { webPreferences: { preload: string } }) {
      super();
      this.options = options;
      windows.push(this);
    }
    static getAllWindows() {
      return windows;
    }
    loadURL(url: string) {
      calls.push(`loadURL ${url}`);
      return Promise.resolve();
    }
    show() {}
  }
  const app = Object.assign(new EventEmitter(), {
    enableSandbox: () => calls.push('enableSandbox'),
    requestSingleInstanceLock: () => {
      calls.push('requestSingleInstanceLock');
      return state.lock;
    },
    whenReady: () => {
      calls.push('whenReady');
      return Promise.resolve();
    },
    getPath: (name: string) => (name === 'userData' ? state.userData : '/nonexistent'),
    getVersion: () => '0.1.0',
    getAppPath: () => '/opt/reading-station/resources/app.asar',
    isPackaged: true,
    quit: () => calls.push('quit'),
    exit: (code: number) => calls.push(`exit ${code}`),
  });
  const fakeSession = Object.assign(new EventEmitter(), {
    protocol: { handle: (scheme: string) => calls.push(`protocol.handle ${scheme}`) },
    setPermissionRequestHandler() {},
    setPermissionCheckHandler() {},
    setDevicePermissionHandler() {},
    setDisplayMediaRequestHandler() {},
  });
  return {
    calls,
    handlers,
    windows,
    state,
    module: {
      app,
      BrowserWindow: FakeWindow,
      session: { fromPartition: () => fakeSession },
      protocol: {
        registerSchemesAsPrivileged: (schemes: unknown) => calls.push(`registerSchemesAsPrivileged ${JSON.stringify(schemes)}`),
      },
      ipcMain: {
        handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>) => handlers.set(channel, handler),
        removeHandler: (channel: string) => handlers.delete(channel),
      },
    },
  };
});
vi.mock('electron', () => standIn.module);

async function startMain(lock: boolean) {
  standIn.calls.length = 0;
  standIn.handlers.clear();
  standIn.windows.length = 0;
  standIn.state.lock = lock;
  standIn.state.userData = userData;
  vi.resetModules();
  await import('./main.ts');
  // Let whenReady's continuation (settings read, window creation) run.
  await vi.waitFor(() => {
    if (lock && standIn.windows.length === 0) throw new Error('no window yet');
  });
}

const appFrame = { senderFrame: { url: 'app://reading-station/index.html' } };

describe('main process wiring', () => {
  beforeEach(() => {
    standIn.module.app.removeAllListeners();
  });

  it('registers the app scheme and the sandbox before ready, then opens one hardened window', async () => {
    await startMain(true);
    const order = standIn.calls.map((call) => call.split(' ')[0]);
    expect(order.indexOf('registerSchemesAsPrivileged')).toBeLessThan(order.indexOf('whenReady'));
    expect(order.indexOf('enableSandbox')).toBeLessThan(order.indexOf('whenReady'));
    expect(standIn.calls).toContain('registerSchemesAsPrivileged [{"scheme":"app","privileges":{"standard":true,"secure":true,"supportFetchAPI":true,"codeCache":true}}]');
    expect(standIn.calls).toContain('protocol.handle app');
    expect(standIn.calls).toContain('loadURL app://reading-station/index.html');
    expect(standIn.windows).toHaveLength(1);
    expect(standIn.windows[0]?.options.webPreferences.preload).toMatch(/[\\/]preload[\\/]preload\.js$/);
    expect(standIn.module.app.listenerCount('web-contents-created')).toBe(1);
    expect(standIn.module.app.listenerCount('second-instance')).toBe(1);
  });

  it('quits at once when another instance holds the lock', async () => {
    await startMain(false);
    expect(standIn.calls).toEqual(expect.arrayContaining(['requestSingleInstanceLock', 'quit']));
    expect(standIn.calls).not.toContain('whenReady');
    expect(standIn.handlers.size).toBe(0);
  });

  it('answers the bridge through guarded handlers and reloads the page when the server changes', async () => {
    await startMain(true);
    const call = (channel: string, ...args: unknown[]) => {
      const handler = standIn.handlers.get(channel);
      if (!handler) throw new Error(`no handler for ${channel}`);
      return handler(appFrame, ...args);
    };
    expect(await call('rs:session:current')).toBeNull();
    expect(await call('rs:session:access-token')).toBeNull();
    expect(await call('rs:settings:get-server')).toEqual({ serverUrl: '', editable: true });
    await expect(standIn.handlers.get('rs:settings:get-server')?.({ senderFrame: { url: 'https://evil.example/' } })).rejects.toThrow(/refused/);

    expect(await call('rs:settings:set-server-url', 'https://pacs.hospital.example/')).toEqual({ serverUrl: 'https://pacs.hospital.example', editable: true });
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8'))).toEqual({ serverUrl: 'https://pacs.hospital.example' });
    await vi.waitFor(() => expect(standIn.windows[0]?.webContents.reloads).toBe(1));
  });
});
