/**
 * The web host's bridge over the gate's auth API (/api/auth/*, same origin).
 *
 * Where the secrets live: the refresh token is an HttpOnly cookie scoped to /api/auth that page
 * code can never read; the access token lives only in this closure, in memory. Nothing is written
 * to localStorage, sessionStorage or IndexedDB, so a reload restores the session by one refresh.
 *
 * Refresh tokens rotate and a rotated token presented twice revokes the session (reuse
 * detection), so refreshes are strictly serialised: one in flight per page (concurrent callers
 * share it) and, through the Web Locks API, one at a time across the tabs sharing the cookie.
 */
import { AuthClientError, accessTokenTimes, createAuthClient, loginFailure, type WebTokenResponse } from '@reading-station/contract';
import type { ReadingStationBridge, ServerSettings, Session, SessionEndReason } from './bridge-contract.ts';

export interface WebBridgeOptions {
  /** The server's origin; the page's own origin in the web host. */
  origin?: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Cross-tab lock; absent (e.g. in tests or old browsers) means per-page serialisation only. */
  locks?: Pick<LockManager, 'request'> | null;
}

interface HeldToken {
  accessToken: string;
  /** When to renew it (the contract's renewal rule), in this page's clock. */
  renewAtMs: number;
  session: Session;
}

const REFRESH_LOCK = 'reading-station:refresh';

export function createWebBridge(options: WebBridgeOptions = {}): ReadingStationBridge {
  const origin = options.origin ?? window.location.origin;
  // The refresh token is the HttpOnly cookie: the client sends it (same-origin) and never sees it.
  const auth = createAuthClient({ baseUrl: origin, client: 'web', credentials: 'same-origin', ...(options.fetch ? { fetch: options.fetch } : {}) });
  const now = options.now ?? Date.now;
  const locks = options.locks === undefined ? (globalThis.navigator?.locks ?? null) : options.locks;

  let held: HeldToken | null = null;
  let refreshInFlight: Promise<string | null> | null = null;
  /** The first currentSession() call restores from the cookie; later ones answer from memory. */
  let restore: Promise<Session | null> | null = null;
  const listeners = new Set<(session: Session | null, reason?: SessionEndReason) => void>();

  const emit = (session: Session | null, reason?: SessionEndReason): void => {
    for (const listener of [...listeners]) listener(session, reason);
  };

  const hold = (body: WebTokenResponse): HeldToken => {
    const { expiresAtMs, renewAtMs } = accessTokenTimes(body.expiresIn, now());
    held = {
      accessToken: body.accessToken,
      renewAtMs,
      session: { user: body.user, serverUrl: origin, accessTokenExpiresAt: new Date(expiresAtMs).toISOString() },
    };
    return held;
  };

  const endSession = (reason: SessionEndReason): void => {
    const hadSession = held !== null;
    held = null;
    if (hadSession) emit(null, reason);
  };

  /** One refresh request; null when the server says the session is over. */
  const refreshOnce = async (): Promise<string | null> => {
    try {
      return hold(await auth.refresh()).accessToken;
    } catch (error) {
      if (!(error instanceof AuthClientError) || !error.sessionEnd) throw error;
      endSession(error.sessionEnd);
      return null;
    }
  };

  const refresh = (): Promise<string | null> => {
    if (!refreshInFlight) {
      const run = locks ? () => locks.request(REFRESH_LOCK, refreshOnce) : refreshOnce;
      refreshInFlight = run().finally(() => {
        refreshInFlight = null;
      });
    }
    return refreshInFlight;
  };

  const bridge: ReadingStationBridge = {
    host: 'web',

    async login({ username, password }) {
      let body: WebTokenResponse;
      try {
        body = await auth.login({ username, password });
      } catch (error) {
        if (error instanceof AuthClientError) return loginFailure(error);
        throw error;
      }
      const { session } = hold(body);
      restore = Promise.resolve(session);
      emit(session);
      return { ok: true, session };
    },

    async logout() {
      const token = held?.accessToken;
      held = null;
      restore = Promise.resolve(null);
      try {
        await auth.logout(token ? { accessToken: token } : {});
      } catch {
        // The local session is gone either way; the server's refresh token expires on its own.
      }
      emit(null, 'logout');
    },

    currentSession() {
      if (held) return Promise.resolve(held.session);
      if (!restore) {
        restore = refresh()
          .then(() => held?.session ?? null)
          .catch(() => null);
      }
      return restore;
    },

    onSessionChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    async getAccessToken() {
      if (!held) return null;
      if (now() < held.renewAtMs) return held.accessToken;
      return refresh();
    },

    async refreshAccessToken() {
      if (!held) return null;
      return refresh();
    },

    async getServerSettings(): Promise<ServerSettings> {
      return { serverUrl: origin, editable: false };
    },

    async setServerUrl(): Promise<ServerSettings> {
      throw new Error('The web app always talks to the server it was loaded from.');
    },
  };
  return bridge;
}
