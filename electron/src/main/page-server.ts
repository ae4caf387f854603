import type { SessionService } from '../services/session-service.ts';

export interface PageServer {
  /** The server the page was loaded for (null: none configured then); its CSP names it. */
  current(): string | null;
  /** After a login or a server change: reloads the page when the configured server differs. */
  serverMayHaveChanged(): void;
}

/**
 * The page's CSP names the server it was loaded for (content-security-policy.ts), and a live
 * document's CSP cannot change: when the configured server changes, the page reloads and asks the
 * bridge for its session again.
 */
export function trackPageServer(sessions: Pick<SessionService, 'getServerSettings'>, initial: string | null, reload: () => void): PageServer {
  let pageServerUrl = initial;
  return {
    current: () => pageServerUrl,
    serverMayHaveChanged: () => {
      void sessions.getServerSettings().then(({ serverUrl }) => {
        const current = serverUrl || null;
        if (current === pageServerUrl) return;
        pageServerUrl = current;
        setImmediate(reload);
      });
    },
  };
}
