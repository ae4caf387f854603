import type { IpcRequestHandlers } from '../ipc/ipc-main.ts';
import type { SessionService } from '../services/session-service.ts';

export interface IpcHandlerHooks {
  /** After a login or a server change: the page's CSP may name the wrong server now. */
  serverMayHaveChanged: () => void;
}

/**
 * What each channel does: one service call, nothing else. Sender and arguments were already
 * checked by ipc-main.ts; results are plain data (no tokens but the access token, by intent).
 */
export function sessionIpcHandlers(sessions: SessionService, hooks: IpcHandlerHooks): IpcRequestHandlers {
  return {
    'rs:auth:login': async (input) => {
      const result = await sessions.login(input);
      if (result.ok) hooks.serverMayHaveChanged();
      return result;
    },
    'rs:auth:logout': async () => {
      await sessions.logout();
    },
    'rs:session:current': () => sessions.currentSession(),
    'rs:session:access-token': () => sessions.getAccessToken(),
    'rs:session:refresh-access-token': () => sessions.refreshAccessToken(),
    'rs:settings:get-server': () => sessions.getServerSettings(),
    'rs:settings:set-server-url': async (serverUrl) => {
      const settings = await sessions.setServerUrl(serverUrl);
      hooks.serverMayHaveChanged();
      return settings;
    },
  };
}
