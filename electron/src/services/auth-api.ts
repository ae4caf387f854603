import { createAuthClient, type AuthClient } from '@reading-station/contract';

/**
 * The gate's auth API as the desktop app uses it: the contract's auth client (one for the desktop
 * and the web) as a `desktop` client. The refresh token travels in the bodies, since the keychain,
 * not a cookie, keeps it; no cookie is sent; messages name the server, which the user chose.
 * Failures are the contract's `AuthClientError`, which never carries the request (the password,
 * the refresh token).
 */
export type AuthApi = Pick<AuthClient<'desktop'>, 'login' | 'refresh' | 'logout'>;

export interface AuthApiOptions {
  /** Per-request limit; a hung server must not hang login (default 15 s). */
  timeoutMs?: number;
  /** Sent as User-Agent: the server records it with the session, so IT can tell devices apart. */
  userAgent?: string;
}

export function createDesktopAuthApi(serverUrl: string, options: AuthApiOptions = {}): AuthClient<'desktop'> {
  return createAuthClient({
    baseUrl: serverUrl,
    client: 'desktop',
    credentials: 'omit',
    nameServerInMessages: true,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.userAgent ? { headers: { 'User-Agent': options.userAgent } } : {}),
  });
}
