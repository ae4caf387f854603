/**
 * The one contract between the Reading Station UI and its host. The desktop preload implements it
 * over IPC (the refresh token stays in the main process and the OS keychain); the web host
 * implements it over /api/auth/* (the refresh token is an HttpOnly cookie). The renderer imports
 * these types only and never learns which host it runs in beyond `host`.
 */
import type { SessionUser } from './auth-schemas.ts';

export interface Session {
  user: SessionUser;
  /** Origin of the Reading Station server (nginx), e.g. `https://pacs-gate.hospital.example`. */
  serverUrl: string;
  /** When the current access token expires (ISO 8601); the host renews it before then. */
  accessTokenExpiresAt: string;
}

/** Why a login did not succeed; the login screen shows a message per code. */
export type LoginErrorCode =
  | 'INVALID_CREDENTIALS'
  | 'LOGIN_LOCKED_OUT'
  | 'SERVER_UNREACHABLE'
  | 'INVALID_SERVER_URL'
  | 'KEYCHAIN_UNAVAILABLE'
  | 'AUDIT_UNAVAILABLE'
  | 'SERVER_ERROR';

export type LoginResult =
  | { ok: true; session: Session }
  | { ok: false; code: LoginErrorCode; message: string; retryAfterSeconds?: number };

/** Why a session ended; the login screen says so. */
export type SessionEndReason = 'logout' | 'expired' | 'revoked';

export interface ServerSettings {
  /** The server the app talks to. In the web host: the page's own origin. */
  serverUrl: string;
  /** Whether the user may change it (desktop only). */
  editable: boolean;
}

export interface ReadingStationBridge {
  readonly host: 'desktop' | 'web';
  login(input: { username: string; password: string; serverUrl?: string }): Promise<LoginResult>;
  logout(): Promise<void>;
  /** The session, restored from the keychain or cookie at start; null when logged out. */
  currentSession(): Promise<Session | null>;
  /** Called on login, logout and when the session ends on its own; returns an unsubscribe function. */
  onSessionChange(listener: (session: Session | null, reason?: SessionEndReason) => void): () => void;
  /**
   * A valid access token for the next request, renewed first when it is about to expire; null when
   * the session has ended. Ask before every request: never keep the value.
   */
  getAccessToken(): Promise<string | null>;
  /** After a 401: renew once now. Null means the session is over and the UI returns to login. */
  refreshAccessToken(): Promise<string | null>;
  getServerSettings(): Promise<ServerSettings>;
  /** Desktop only: remember another server (validated: http(s) origin). */
  setServerUrl(serverUrl: string): Promise<ServerSettings>;
}
