import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { IpcRequestChannel, IpcRequestChannels, ReadingStationBridge, Session, SessionEndReason } from '@reading-station/contract';

/*
 * The desktop implementation of ReadingStationBridge, exposed as `window.readingStation`.
 *
 * A sandboxed preload runs as one CommonJS script whose `require` knows only a few built-ins
 * (`electron`, `events`, `timers`, `url`), so this file imports nothing at run time but
 * `electron`; the channel map and the contract are type-only imports (the build checks that).
 * The page gets intents only: no ipcRenderer, no channel names, no env, no secret get/set.
 */

function invoke<C extends IpcRequestChannel>(channel: C, ...args: Parameters<IpcRequestChannels[C]>): ReturnType<IpcRequestChannels[C]> {
  return ipcRenderer.invoke(channel, ...args) as ReturnType<IpcRequestChannels[C]>;
}

const auth = {
  // Only the fields the contract names are forwarded: the main process refuses anything else.
  login: (input) =>
    invoke('rs:auth:login', {
      username: input.username,
      password: input.password,
      ...(input.serverUrl !== undefined ? { serverUrl: input.serverUrl } : {}),
    }),
  logout: () => invoke('rs:auth:logout'),
} satisfies Pick<ReadingStationBridge, 'login' | 'logout'>;

const session = {
  currentSession: () => invoke('rs:session:current'),
  getAccessToken: () => invoke('rs:session:access-token'),
  refreshAccessToken: () => invoke('rs:session:refresh-access-token'),
  onSessionChange: (listener) => {
    // The IPC event object (it holds `sender`, an ipcRenderer) never reaches the page.
    const forward = (_event: IpcRendererEvent, changed: Session | null, reason: SessionEndReason | undefined) => {
      listener(changed, reason);
    };
    ipcRenderer.on('rs:session:changed', forward);
    return () => {
      ipcRenderer.removeListener('rs:session:changed', forward);
    };
  },
} satisfies Pick<ReadingStationBridge, 'currentSession' | 'getAccessToken' | 'refreshAccessToken' | 'onSessionChange'>;

const settings = {
  getServerSettings: () => invoke('rs:settings:get-server'),
  setServerUrl: (serverUrl) => invoke('rs:settings:set-server-url', serverUrl),
} satisfies Pick<ReadingStationBridge, 'getServerSettings' | 'setServerUrl'>;

const readingStationBridge = {
  host: 'desktop',
  ...auth,
  ...session,
  ...settings,
} as const satisfies ReadingStationBridge;

contextBridge.exposeInMainWorld('readingStation', readingStationBridge);
