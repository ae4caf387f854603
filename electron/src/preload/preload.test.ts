import type { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { ReadingStationBridge, Session } from '@reading-station/contract';

/*
 * The preload against the shared stand-in for the `electron` module (testing/fake-electron.ts:
 * contextBridge and ipcRenderer; no Electron binary runs on the build machines). It shows what the
 * page is given (exactly the bridge, nothing else) and which channel each intent uses.
 */
const electron = await vi.hoisted(async () => (await import('../testing/fake-electron.ts')).createFakeElectron());
vi.mock('electron', () => electron.module);
await import('./preload.ts');

const bridge = electron.exposedInMainWorld.get('readingStation') as ReadingStationBridge;

describe('preload', () => {
  it('exposes one object, window.readingStation, with exactly the bridge members', () => {
    expect([...electron.exposedInMainWorld.keys()]).toEqual(['readingStation']);
    expect(Object.keys(bridge).sort()).toEqual(
      ['currentSession', 'getAccessToken', 'getServerSettings', 'host', 'login', 'logout', 'onSessionChange', 'refreshAccessToken', 'setServerUrl'].sort(),
    );
    expect(bridge.host).toBe('desktop');
    // Nothing that would hand the page raw IPC, Node or the environment.
    expect(Object.values(bridge).some((value) => value === electron.module.ipcRenderer)).toBe(false);
  });

  it('maps each intent to its channel, forwarding only the contract fields', async () => {
    electron.ipcRendererInvocations.length = 0;
    const loginInput = { username: 'rad', password: 'pw', serverUrl: 'https://pacs.example', extra: 'dropped' };
    await bridge.login(loginInput);
    await bridge.login({ username: 'rad', password: 'pw' });
    await bridge.logout();
    await bridge.currentSession();
    await bridge.getAccessToken();
    await bridge.refreshAccessToken();
    await bridge.getServerSettings();
    await bridge.setServerUrl('https://pacs.example');
    expect(electron.ipcRendererInvocations).toEqual([
      { channel: 'rs:auth:login', args: [{ username: 'rad', password: 'pw', serverUrl: 'https://pacs.example' }] },
      { channel: 'rs:auth:login', args: [{ username: 'rad', password: 'pw' }] },
      { channel: 'rs:auth:logout', args: [] },
      { channel: 'rs:session:current', args: [] },
      { channel: 'rs:session:access-token', args: [] },
      { channel: 'rs:session:refresh-access-token', args: [] },
      { channel: 'rs:settings:get-server', args: [] },
      { channel: 'rs:settings:set-server-url', args: ['https://pacs.example'] },
    ]);
  });

  it('delivers session changes without the IPC event, and unsubscribes', () => {
    const seen: unknown[][] = [];
    const unsubscribe = bridge.onSessionChange((...args) => seen.push(args));
    const session = { user: { id: 1, username: 'rad', displayName: 'R', role: 'radiologist' }, serverUrl: 'https://pacs.example', accessTokenExpiresAt: 'x' } satisfies Session;
    const ipcEvent = { sender: electron.module.ipcRenderer };
    electron.module.ipcRenderer.emit('rs:session:changed', ipcEvent, session, undefined);
    electron.module.ipcRenderer.emit('rs:session:changed', ipcEvent, null, 'expired');
    expect(seen).toEqual([
      [session, undefined],
      [null, 'expired'],
    ]);
    unsubscribe();
    electron.module.ipcRenderer.emit('rs:session:changed', ipcEvent, null, 'logout');
    expect(seen).toHaveLength(2);
    expect((electron.module.ipcRenderer as EventEmitter).listenerCount('rs:session:changed')).toBe(0);
  });
});
