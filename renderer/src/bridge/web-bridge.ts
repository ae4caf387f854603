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
import { z } from 'zod';
import type {
  LoginErrorCode,
  LoginResult,
  ReadingStationBridge,
  ServerSettings,
  Session,
  SessionEndReason,
} from './bridge-contract.ts';

const roleSchema = z.enum(['admin', 'radiologist', 'doctor', 'patient', 'nurse', 'lab']);

/** The 200 body of /api/auth/login and /api/auth/refresh. */
const tokenResponseSchema = z.object({
  accessToken: z.string().min(1),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().positive(),
  expiresAt: z.string().min(1),
  user: z.object({
    id: z.number().int(),
    username: z.string(),
    displayName: z.string(),
    role: roleSchema,
  }),
});
type TokenResponse = z.infer<typeof tokenResponseSchema>;

const errorBodySchema = z.object({ error: z.string().optional(), code: z.string().optional() }).loose();

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
  /** Epoch ms at which the server stops accepting it. */
  expiresAtMs: number;
  /** Lifetime as issued, to renew at a fraction of it. */
  lifetimeMs: number;
  session: Session;
}

/** Thrown when the auth server cannot be asked (network, 5xx): the session is not over. */
export class AuthServerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthServerUnavailableError';
  }
}

const REFRESH_LOCK = 'reading-station:refresh';

/**
 * How long before expiry a token is renewed: a fifth of its life, at least 5 s and at most 60 s,
 * so a request started with it still arrives in time.
 */
export function renewalMarginMs(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(5_000, lifetimeMs / 5));
}

async function readErrorCode(response: Response): Promise<string | undefined> {
  try {
    const parsed = errorBodySchema.safeParse(await response.json());
    return parsed.success ? parsed.data.code : undefined;
  } catch {
    return undefined;
  }
}

function loginFailure(code: LoginErrorCode, message: string, retryAfterSeconds?: number): LoginResult {
  return retryAfterSeconds === undefined ? { ok: false, code, message } : { ok: false, code, message, retryAfterSeconds };
}

export function createWebBridge(options: WebBridgeOptions = {}): ReadingStationBridge {
  const origin = options.origin ?? window.location.origin;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => window.fetch(input, init));
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

  const hold = (body: TokenResponse): HeldToken => {
    const parsedExpiry = Date.parse(body.expiresAt);
    const expiresAtMs = Number.isFinite(parsedExpiry) ? parsedExpiry : now() + body.expiresIn * 1000;
    held = {
      accessToken: body.accessToken,
      expiresAtMs,
      lifetimeMs: body.expiresIn * 1000,
      session: { user: body.user, serverUrl: origin, accessTokenExpiresAt: new Date(expiresAtMs).toISOString() },
    };
    return held;
  };

  const endSession = (reason: SessionEndReason): void => {
    const hadSession = held !== null;
    held = null;
    if (hadSession) emit(null, reason);
  };

  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    doFetch(`${origin}${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  /** One refresh request; null when the server says the session is over. */
  const refreshOnce = async (): Promise<string | null> => {
    let response: Response;
    try {
      response = await postJson('/api/auth/refresh', {});
    } catch {
      throw new AuthServerUnavailableError('The Reading Station server cannot be reached to renew the session.');
    }
    if (response.ok) {
      const parsed = tokenResponseSchema.safeParse(await response.json().catch(() => null));
      if (!parsed.success) throw new AuthServerUnavailableError('The server answered the session renewal with an unexpected body.');
      return hold(parsed.data).accessToken;
    }
    if (response.status === 401 || response.status === 400) {
      const code = await readErrorCode(response);
      endSession(code === 'REFRESH_TOKEN_REUSED' || code === 'SESSION_REVOKED' ? 'revoked' : 'expired');
      return null;
    }
    throw new AuthServerUnavailableError(`The server could not renew the session (HTTP ${response.status}).`);
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
      let response: Response;
      try {
        response = await postJson('/api/auth/login', { username, password, client: 'web' });
      } catch {
        return loginFailure('SERVER_UNREACHABLE', 'The Reading Station server cannot be reached. Check the network connection and try again.');
      }
      if (response.ok) {
        const parsed = tokenResponseSchema.safeParse(await response.json().catch(() => null));
        if (!parsed.success) return loginFailure('SERVER_ERROR', 'The server answered the sign-in with an unexpected body. Contact IT.');
        const { session } = hold(parsed.data);
        restore = Promise.resolve(session);
        emit(session);
        return { ok: true, session };
      }
      const code = await readErrorCode(response);
      switch (response.status) {
        case 400:
        case 401:
          return loginFailure('INVALID_CREDENTIALS', 'The user name or password is wrong.');
        case 429: {
          const retryAfter = Number(response.headers.get('Retry-After'));
          const seconds = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.ceil(retryAfter) : undefined;
          const wait = seconds === undefined ? 'later' : `in ${seconds} s`;
          return loginFailure('LOGIN_LOCKED_OUT', `Too many failed sign-ins: this account is locked for now. Try again ${wait}.`, seconds);
        }
        case 503:
          if (code === 'AUDIT_UNAVAILABLE') {
            return loginFailure('AUDIT_UNAVAILABLE', 'The audit store is unavailable, so no one can sign in right now. Try again shortly or call IT.');
          }
          return loginFailure('SERVER_ERROR', 'The Reading Station server is unavailable (HTTP 503). Try again shortly.');
        case 502:
        case 504:
          return loginFailure('SERVER_UNREACHABLE', 'The Reading Station server is not answering. Try again shortly or call IT.');
        default:
          return loginFailure('SERVER_ERROR', `The server could not sign you in (HTTP ${response.status}${code ? `, ${code}` : ''}). Contact IT if this persists.`);
      }
    },

    async logout() {
      const token = held?.accessToken;
      held = null;
      restore = Promise.resolve(null);
      try {
        await postJson('/api/auth/logout', {}, token ? { Authorization: `Bearer ${token}` } : {});
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
      if (held.expiresAtMs - now() > renewalMarginMs(held.lifetimeMs)) return held.accessToken;
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
