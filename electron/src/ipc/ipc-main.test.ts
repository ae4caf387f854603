import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC_REQUEST_CHANNELS } from '@reading-station/contract';
import { IpcRefusedError, registerIpcHandlers, type IpcRequestHandlers } from './ipc-main.ts';

// The shared stand-in for the `electron` module (testing/fake-electron.ts; no Electron binary runs
// on the build machines) records what is registered with ipcMain, and a test invokes a channel the
// way Electron would: (event, ...args). The wrapper's own logic (sender check, validation, channel
// list) is what is under test.
const electron = await vi.hoisted(async () => (await import('../testing/fake-electron.ts')).createFakeElectron());
vi.mock('electron', () => electron.module);
const registered = electron.ipcMainHandlers;

const appFrame = { senderFrame: { url: 'app://reading-station/index.html' } };
const session = { user: { id: 1, username: 'rad', displayName: 'Rad', role: 'radiologist' as const }, serverUrl: 'https://pacs.example', accessTokenExpiresAt: '2026-01-01T00:00:00.000Z' };

function handlers(): IpcRequestHandlers & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    'rs:auth:login': async (input) => {
      calls.push(`login ${input.username}`);
      return { ok: true, session };
    },
    'rs:auth:logout': async () => {
      calls.push('logout');
    },
    'rs:session:current': async () => session,
    'rs:session:access-token': async () => 'access',
    'rs:session:refresh-access-token': async () => 'access-2',
    'rs:settings:get-server': async () => ({ serverUrl: 'https://pacs.example', editable: true }),
    'rs:settings:set-server-url': async (serverUrl) => ({ serverUrl, editable: true }),
  };
}

function invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
  const listener = registered.get(channel);
  if (!listener) return Promise.reject(new Error(`No handler registered for '${channel}'`));
  return listener(event, ...args);
}

describe('registerIpcHandlers', () => {
  let unregister: () => void;
  let target: ReturnType<typeof handlers>;
  const refused: string[] = [];

  beforeEach(() => {
    registered.clear();
    refused.length = 0;
    target = handlers();
    unregister = registerIpcHandlers(target, { onRefused: (channel, reason) => refused.push(`${channel}: ${reason}`) });
    return () => unregister();
  });

  it('registers exactly the listed channels and nothing else', () => {
    expect([...registered.keys()].sort()).toEqual([...IPC_REQUEST_CHANNELS].sort());
    expect(IPC_REQUEST_CHANNELS.sort()).toEqual([
      'rs:auth:login',
      'rs:auth:logout',
      'rs:session:access-token',
      'rs:session:current',
      'rs:session:refresh-access-token',
      'rs:settings:get-server',
      'rs:settings:set-server-url',
    ]);
  });

  it('has no channel for a refresh token or a generic secret', async () => {
    expect(IPC_REQUEST_CHANNELS.some((channel) => /refresh-token|secret|keychain|vault|env/i.test(channel))).toBe(false);
    await expect(invoke('rs:vault:get', appFrame, 'Reading Station')).rejects.toThrow(/No handler registered/);
  });

  it('passes a well-formed call from the app origin to the handler', async () => {
    await expect(invoke('rs:auth:login', appFrame, { username: 'rad', password: 'pw' })).resolves.toEqual({ ok: true, session });
    await expect(invoke('rs:session:access-token', { senderFrame: { url: 'app://reading-station/viewer?study=1' } })).resolves.toBe('access');
    expect(target.calls).toEqual(['login rad']);
  });

  it.each([
    ['another origin', 'https://evil.example/index.html'],
    ['a file page', 'file:///tmp/index.html'],
    ['the app scheme on another host', 'app://reading-station.evil/index.html'],
    ['the app host on a port', 'app://reading-station:8080/index.html'],
    ['a lookalike scheme', 'apps://reading-station/index.html'],
    ['an opaque page', 'about:blank'],
    ['a data URL', 'data:text/html,<script></script>'],
  ])('refuses a call from %s', async (_label, url) => {
    await expect(invoke('rs:auth:login', { senderFrame: { url } }, { username: 'rad', password: 'pw' })).rejects.toBeInstanceOf(IpcRefusedError);
    expect(target.calls).toEqual([]);
    expect(refused).toHaveLength(1);
  });

  it('refuses a call whose frame is gone (navigated or destroyed)', async () => {
    await expect(invoke('rs:auth:logout', { senderFrame: null })).rejects.toThrow(/outside the app \(no frame\)/);
    expect(target.calls).toEqual([]);
  });

  it.each([
    ['no argument', []],
    ['a string instead of the login object', ['rad:pw']],
    ['a missing password', [{ username: 'rad' }]],
    ['an empty user name', [{ username: '', password: 'pw' }]],
    ['a number as password', [{ username: 'rad', password: 42 }]],
    ['an unknown field', [{ username: 'rad', password: 'pw', refreshToken: 'x' }]],
    ['an extra argument', [{ username: 'rad', password: 'pw' }, 'extra']],
    ['an oversized password', [{ username: 'rad', password: 'x'.repeat(5000) }]],
  ])('refuses malformed login arguments: %s', async (_label, args) => {
    await expect(invoke('rs:auth:login', appFrame, ...args)).rejects.toThrow(/rs:auth:login: malformed arguments/);
    expect(target.calls).toEqual([]);
  });

  it('refuses arguments on channels that take none, and a non-string server URL', async () => {
    await expect(invoke('rs:auth:logout', appFrame, 'now')).rejects.toThrow(/malformed arguments/);
    await expect(invoke('rs:settings:set-server-url', appFrame, { url: 'https://x' })).rejects.toThrow(/malformed arguments/);
    expect(target.calls).toEqual([]);
  });

  it('never echoes the arguments (they may hold a password) in its refusal', async () => {
    const password = randomUUID();
    const error = await invoke('rs:auth:login', appFrame, { username: 'rad', password, extra: 1 }).catch((e: unknown) => e);
    expect(String(error)).not.toContain(password);
    expect(refused.join(' ')).not.toContain(password);
  });

  it('removes every handler it registered', () => {
    unregister();
    expect(registered.size).toBe(0);
  });
});
