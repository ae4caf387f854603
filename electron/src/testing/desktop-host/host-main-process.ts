/**
 * THE DESKTOP TEST HOST'S MAIN PROCESS: the desktop app's main-process wiring (main.ts) without
 * Electron, run as a child process of the Playwright test (desktop-host.ts in e2e/). It is not
 * part of the build.
 *
 * What is real: ipc-main.ts's `registerIpcHandlers` (every channel of the contract, the sender
 * frame check, the argument schemas, the refusal messages) and `sendIpcEvent`, the handlers of
 * ipc-handlers.ts over the real SessionService with the KeytarTokenVault (on whatever D-Bus
 * session DBUS_SESSION_BUS_ADDRESS names: libsecret binds a process to the first one it finds,
 * so each keychain state is a process of its own, as each app start is) and the
 * ServerSettingsStore in RS_HOST_USER_DATA, and main.ts's rule that the page reloads when the
 * server it was loaded for changes (page-server.ts, as main.ts uses it).
 *
 * What is replaced: Electron's transport. `electron` resolves to host-electron.ts, whose ipcMain
 * keeps the registered handlers; invocations arrive over Node's child-process channel as
 * `{ type: 'invoke', id, channel, frameUrl, args }` (frameUrl is the sender frame's URL at the
 * app's origin) and are answered `{ type: 'result', id, ok, value | message }`; sendIpcEvent's web
 * contents post `{ type: 'event', channel, args }`; a reload is `{ type: 'reload', pageServerUrl }`.
 * The parent says which URL the window shows with `{ type: 'page', url }`, and ends the process
 * with `{ type: 'quit' }` (the app quits: the session stays in the keychain).
 *
 * The window's partition is the parent's browser context: the session service's clearCache() and
 * clearStorageData() post `{ type: 'clear-browsing-data', id, what }`, which the parent carries
 * out over the Chrome DevTools Protocol and answers `{ type: 'browsing-data-cleared', id, ok }`.
 */
import { registerHooks } from 'node:module';
import type { WebContents } from 'electron';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'electron') return { url: new URL('./host-electron.ts', import.meta.url).href, shortCircuit: true };
    return nextResolve(specifier, context);
  },
});

const { registerIpcHandlers, sendIpcEvent } = await import('../../ipc/ipc-main.ts');
const { sessionIpcHandlers } = await import('../../main/ipc-handlers.ts');
const { trackPageServer } = await import('../../main/page-server.ts');
const { createDesktopAuthApi } = await import('../../services/auth-api.ts');
const { KeytarTokenVault } = await import('../../services/keytar-token-vault.ts');
const { ServerSettingsStore } = await import('../../services/server-settings-store.ts');
const { SessionService } = await import('../../services/session-service.ts');
const { registeredHandlers } = await import('./host-electron.ts');

export type HostInbound =
  | { type: 'invoke'; id: number; channel: string; frameUrl: string | null; args: unknown[] }
  | { type: 'page'; url: string }
  | { type: 'browsing-data-cleared'; id: number; ok: boolean; message?: string }
  | { type: 'quit' };

export type HostOutbound =
  | { type: 'ready'; channels: string[]; pageServerUrl: string | null }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; message: string }
  | { type: 'event'; channel: string; args: unknown[] }
  | { type: 'reload'; pageServerUrl: string | null }
  | { type: 'clear-browsing-data'; id: number; what: 'cache' | 'storage' };

const post = (message: HostOutbound) => process.send?.(message);
const log = (message: string) => console.warn(`[reading-station] ${message}`);
const userData = process.env.RS_HOST_USER_DATA;
if (!userData || !process.send) throw new Error('the desktop test host main process runs as a forked child with RS_HOST_USER_DATA set');

// The one window's web contents, as sendIpcEvent uses them.
let pageUrl = '';
const windowContents = {
  isDestroyed: () => false,
  getURL: () => pageUrl,
  send: (channel: string, ...args: unknown[]) => post({ type: 'event', channel, args }),
} as unknown as WebContents;

// The window's partition (Electron's session of APP_PARTITION in main.ts): the parent's browser context.
const clearing = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let nextClearId = 1;
function clearInParent(what: 'cache' | 'storage'): Promise<void> {
  const id = nextClearId++;
  return new Promise((resolve, reject) => {
    clearing.set(id, { resolve, reject });
    post({ type: 'clear-browsing-data', id, what });
  });
}
const partition = { clearCache: () => clearInParent('cache'), clearStorageData: () => clearInParent('storage') };

// From here on, as main.ts wires the app once Electron is ready.
const settings = new ServerSettingsStore(userData);
const sessions = new SessionService({
  vault: new KeytarTokenVault(),
  partition,
  settings,
  createAuthApi: (serverUrl) => createDesktopAuthApi(serverUrl, { userAgent: `ReadingStation/test-host (${process.platform}; desktop)` }),
  onWarning: log,
});
void sessions.start();

const pageServer = trackPageServer(sessions, await settings.getServerUrl().catch(() => null), () => post({ type: 'reload', pageServerUrl: pageServer.current() }));

registerIpcHandlers(sessionIpcHandlers(sessions, { serverMayHaveChanged: pageServer.serverMayHaveChanged }), { onRefused: (channel, reason) => log(`IPC ${channel} refused: ${reason}`) });
sessions.onChange((session, reason) => {
  if (pageServer.deliversSession(session)) sendIpcEvent(windowContents, 'rs:session:changed', session, reason);
});

process.on('message', (message: HostInbound) => {
  if (message.type === 'page') {
    pageUrl = message.url;
  } else if (message.type === 'quit') {
    sessions.dispose();
    process.exit(0);
  } else if (message.type === 'invoke') {
    void invoke(message);
  } else if (message.type === 'browsing-data-cleared') {
    const pending = clearing.get(message.id);
    clearing.delete(message.id);
    if (message.ok) pending?.resolve();
    else pending?.reject(new Error(message.message ?? 'the browsing data could not be cleared'));
  }
});

async function invoke({ id, channel, frameUrl, args }: Extract<HostInbound, { type: 'invoke' }>): Promise<void> {
  const handler = registeredHandlers.get(channel);
  try {
    // Electron answers an unregistered channel the same way: the call fails, nothing runs.
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    const value = await handler({ senderFrame: frameUrl === null ? null : { url: frameUrl } }, ...args);
    post({ type: 'result', id, ok: true, value: value ?? null });
  } catch (error) {
    post({ type: 'result', id, ok: false, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}

post({ type: 'ready', channels: [...registeredHandlers.keys()], pageServerUrl: pageServer.current() });
