import type { Session } from '@reading-station/contract';
import type { SessionService } from '../services/session-service.ts';

export interface PageServer {
  /** The server the page was loaded for (null: none configured then); its CSP names it. */
  current(): string | null;
  /** After a login or a server change: reloads the page when the configured server differs. */
  serverMayHaveChanged(): void;
  /**
   * Whether the page may be told about this session. A session on another server than the page's
   * CSP names is not delivered: its requests would all be refused. The page reloads for that
   * server instead and asks for its session again.
   */
  deliversSession(session: Session | null): boolean;
}

/**
 * The page's CSP names the server it was loaded for (content-security-policy.ts), and a live
 * document's CSP cannot change: when the configured server changes, the page reloads and asks the
 * bridge for its session again.
 */
export function trackPageServer(sessions: Pick<SessionService, 'getServerSettings'>, initial: string | null, reload: () => void): PageServer {
  let pageServerUrl = initial;
  const reloadFor = (serverUrl: string | null) => {
    pageServerUrl = serverUrl;
    setImmediate(reload);
  };
  return {
    current: () => pageServerUrl,
    serverMayHaveChanged: () => {
      void sessions.getServerSettings().then(({ serverUrl }) => {
        const current = serverUrl || null;
        if (current !== pageServerUrl) reloadFor(current);
      });
    },
    deliversSession: (session) => {
      if (session === null || session.serverUrl === pageServerUrl) return true;
      reloadFor(session.serverUrl);
      return false;
    },
  };
}
