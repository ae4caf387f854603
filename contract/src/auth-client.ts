/**
 * The one client of the gate's auth API, used by the desktop app's session service (main process,
 * Node's fetch) and by the web app's bridge (the browser's fetch). It only needs `fetch` and
 * `AbortSignal`, so it runs in both.
 *
 * It sends login, refresh and logout as the client kind requires (see auth-schemas.ts), checks
 * the answers, and turns every failure into one `AuthClientError` whose `code` says what the user
 * is told and what happens next; both hosts act on that code alone, so a server code means the
 * same thing on the desktop and on the web.
 *
 * Errors never carry the request (it holds the password or the refresh token): no `cause`, no
 * body, no headers.
 */
import {
  AUTH_PATHS,
  tokenResponseSchemas,
  type ClientKind,
  type LoginRequest,
  type LogoutRequest,
  type RefreshRequest,
  type TokenResponseOf,
} from './auth-schemas.ts';
import { readErrorBody, type ErrorCode } from './error-codes.ts';
import type { LoginErrorCode, LoginResult, SessionEndReason } from './reading-station-bridge.ts';

/** What a failed auth call means to a client. */
export type AuthFailureCode =
  /** Login refused: wrong (or unacceptable) user name or password. Stay on the login screen. */
  | 'INVALID_CREDENTIALS'
  /** Login refused for a while; `retryAfterSeconds` says how long. */
  | 'LOGIN_LOCKED_OUT'
  /** The session is over (expired, unknown, or its token refused): back to sign-in. */
  | 'SESSION_EXPIRED'
  /** The session was ended on the server (logout elsewhere, an administrator, token reuse): back to sign-in. */
  | 'SESSION_REVOKED'
  /** Nothing can be recorded, so nothing is done: try again shortly. The session goes on. */
  | 'AUDIT_UNAVAILABLE'
  /** No answer, or the server is not serving now: try again shortly. The session goes on. */
  | 'SERVER_UNREACHABLE'
  /** An answer this client does not expect (a wrong server address, a fault): tell IT. The session goes on. */
  | 'SERVER_ERROR';

export type AuthOperation = 'login' | 'refresh' | 'logout';

/**
 * Every code the gate (or nginx in front of it) can answer with, and what it means to an auth
 * client. A `Record` over `ErrorCode`: a code added to the contract does not compile until its
 * outcome is decided here. For refresh and logout a refused credential means the session is over,
 * see `authFailureFor`.
 */
const AUTH_FAILURE_BY_CODE: Readonly<Record<ErrorCode, AuthFailureCode>> = {
  INVALID_REQUEST: 'INVALID_CREDENTIALS',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  LOGIN_LOCKED_OUT: 'LOGIN_LOCKED_OUT',
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  REFRESH_TOKEN_REUSED: 'SESSION_REVOKED',
  TOKEN_MISSING: 'SESSION_EXPIRED',
  TOKEN_EXPIRED: 'SESSION_EXPIRED',
  TOKEN_NOT_YET_VALID: 'SESSION_EXPIRED',
  TOKEN_INVALID: 'SESSION_EXPIRED',
  SESSION_REVOKED: 'SESSION_REVOKED',
  INVALID_PATH: 'SERVER_ERROR',
  INVALID_QUERY: 'SERVER_ERROR',
  WADO_URI_NOT_SUPPORTED: 'SERVER_ERROR',
  SEARCH_NOT_CONSTRAINED: 'SERVER_ERROR',
  STUDY_FORBIDDEN: 'SERVER_ERROR',
  STUDY_NOT_FOUND: 'SERVER_ERROR',
  STUDY_CONFLICT: 'SERVER_ERROR',
  ASSIGNEE_NOT_ALLOWED: 'SERVER_ERROR',
  AUDIT_UNAVAILABLE: 'AUDIT_UNAVAILABLE',
  BAD_REQUEST: 'SERVER_ERROR',
  VALIDATION_FAILED: 'SERVER_ERROR',
  UNAUTHENTICATED: 'SESSION_EXPIRED',
  FORBIDDEN: 'SERVER_ERROR',
  NOT_FOUND: 'SERVER_ERROR',
  METHOD_NOT_ALLOWED: 'SERVER_ERROR',
  NOT_ACCEPTABLE: 'SERVER_ERROR',
  REQUEST_TIMEOUT: 'SERVER_UNREACHABLE',
  PAYLOAD_TOO_LARGE: 'SERVER_ERROR',
  URI_TOO_LONG: 'SERVER_ERROR',
  UNSUPPORTED_MEDIA_TYPE: 'SERVER_ERROR',
  TOO_MANY_REQUESTS: 'SERVER_UNREACHABLE',
  HEADERS_TOO_LARGE: 'SERVER_ERROR',
  INTERNAL: 'SERVER_ERROR',
  SERVICE_UNAVAILABLE: 'SERVER_UNREACHABLE',
  GATE_UNREACHABLE: 'SERVER_UNREACHABLE',
  PACS_UNREACHABLE: 'SERVER_UNREACHABLE',
  APP_NOT_BUILT: 'SERVER_ERROR',
};

/**
 * The outcome of a failed auth call from its status and the body's code (undefined when the
 * answer had none of ours: then the status alone decides, and only 502-504 count as passing).
 */
export function authFailureFor(operation: AuthOperation, status: number, code: ErrorCode | undefined): AuthFailureCode {
  const failure = code ? AUTH_FAILURE_BY_CODE[code] : status === 502 || status === 503 || status === 504 ? 'SERVER_UNREACHABLE' : 'SERVER_ERROR';
  if (operation === 'login') return failure === 'SESSION_EXPIRED' || failure === 'SESSION_REVOKED' ? 'SERVER_ERROR' : failure;
  // A refresh or logout presents the session itself: refusing it as a credential ends the session.
  return failure === 'INVALID_CREDENTIALS' ? 'SESSION_EXPIRED' : failure;
}

/** What the login screen says when a session ended without the user logging out. */
export const SESSION_END_MESSAGES: Readonly<Record<Exclude<SessionEndReason, 'logout'>, string>> = {
  expired: 'Your session has ended. Sign in again to continue.',
  revoked:
    'Your session has ended: it was closed on the server (signed out elsewhere, by an administrator, or for safety). Sign in again to continue.',
};

const VERBS: Readonly<Record<AuthOperation, string>> = { login: 'sign you in', refresh: 'renew the session', logout: 'end the session' };

interface MessageDetails {
  operation: AuthOperation;
  status?: number | undefined;
  serverCode?: ErrorCode | undefined;
  retryAfterSeconds?: number | undefined;
  /** Named in the message where the user chose it (the desktop app). */
  server?: string | undefined;
  detail?: string | undefined;
}

/** The message shown for a failure: the same words on the desktop and on the web. */
export function authFailureMessage(code: AuthFailureCode, details: MessageDetails): string {
  const at = details.server ? ` at ${details.server}` : '';
  switch (code) {
    case 'INVALID_CREDENTIALS':
      return 'The user name or password is wrong.';
    case 'LOGIN_LOCKED_OUT': {
      const wait = details.retryAfterSeconds === undefined ? 'later' : `in ${details.retryAfterSeconds} s`;
      return `Too many failed sign-ins: this account is locked for now. Try again ${wait}.`;
    }
    case 'SESSION_EXPIRED':
      return SESSION_END_MESSAGES.expired;
    case 'SESSION_REVOKED':
      return SESSION_END_MESSAGES.revoked;
    case 'AUDIT_UNAVAILABLE':
      return 'The audit store is unavailable, so the server cannot sign anyone in or renew a session right now. Try again shortly or call IT.';
    case 'SERVER_UNREACHABLE': {
      const detail = details.detail ?? (details.status ? `HTTP ${details.status}` : undefined);
      return `The Reading Station server${at} cannot be reached or is not answering${detail ? ` (${detail})` : ''}. Check the network connection and try again shortly; call IT if it persists.`;
    }
    case 'SERVER_ERROR': {
      if (details.detail) return `${details.detail} Contact IT if this persists.`;
      if (details.status === 404 && details.serverCode === undefined) return `There is no Reading Station sign-in service${at}. Check the server address.`;
      const what = [details.status ? `HTTP ${details.status}` : null, details.serverCode].filter(Boolean).join(', ');
      return `The server${at} could not ${VERBS[details.operation]}${what ? ` (${what})` : ''}. Contact IT if this persists.`;
    }
  }
}

/** A failed auth call, reduced to what a client acts on. */
export class AuthClientError extends Error {
  override readonly name = 'AuthClientError';
  readonly code: AuthFailureCode;
  readonly operation: AuthOperation;
  readonly status: number | undefined;
  /** The server's own code, for support. */
  readonly serverCode: ErrorCode | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: AuthFailureCode,
    details: { operation?: AuthOperation; message?: string; status?: number; serverCode?: ErrorCode; requestId?: string; retryAfterSeconds?: number } = {},
  ) {
    const operation = details.operation ?? 'login';
    super(details.message ?? authFailureMessage(code, { ...details, operation }));
    this.code = code;
    this.operation = operation;
    this.status = details.status;
    this.serverCode = details.serverCode;
    this.requestId = details.requestId;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }

  /** Why the session is over when this failure ends it; undefined when it may pass. */
  get sessionEnd(): Exclude<SessionEndReason, 'logout'> | undefined {
    if (this.code === 'SESSION_EXPIRED') return 'expired';
    if (this.code === 'SESSION_REVOKED') return 'revoked';
    return undefined;
  }
}

const LOGIN_ERROR_CODES: Readonly<Record<AuthFailureCode, LoginErrorCode>> = {
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  LOGIN_LOCKED_OUT: 'LOGIN_LOCKED_OUT',
  AUDIT_UNAVAILABLE: 'AUDIT_UNAVAILABLE',
  SERVER_UNREACHABLE: 'SERVER_UNREACHABLE',
  SERVER_ERROR: 'SERVER_ERROR',
  SESSION_EXPIRED: 'SERVER_ERROR',
  SESSION_REVOKED: 'SERVER_ERROR',
};

/** The bridge's answer to a login that failed with `error`. */
export function loginFailure(error: AuthClientError): Extract<LoginResult, { ok: false }> {
  return {
    ok: false,
    code: LOGIN_ERROR_CODES[error.code],
    message: error.message,
    ...(error.code === 'LOGIN_LOCKED_OUT' && error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
  };
}

export interface AuthClientOptions<K extends ClientKind> {
  /** The server's origin (nginx), e.g. `https://pacs.hospital.example`; the page's own origin on the web. */
  baseUrl: string;
  client: K;
  /**
   * Whether fetch sends cookies: the web app needs its refresh cookie (`same-origin`, its default);
   * the desktop app sends none (`omit`, its default).
   */
  credentials?: RequestInit['credentials'];
  /** The global fetch by default. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Per-request limit; a hung server must not hang login (default 15 s). */
  timeoutMs?: number;
  /** Extra request headers, e.g. the desktop's User-Agent (the server records it with the session). */
  headers?: Readonly<Record<string, string>>;
  /** Name the server in messages (the desktop, where the user chose it). */
  nameServerInMessages?: boolean;
}

type RefreshArgs<K extends ClientKind> = K extends 'desktop' ? [refreshToken: string] : [];
type LogoutSession<K extends ClientKind> = K extends 'desktop' ? { refreshToken: string; accessToken?: string } : { accessToken?: string };

export interface AuthClient<K extends ClientKind = ClientKind> {
  readonly baseUrl: string;
  readonly client: K;
  login(credentials: { username: string; password: string }): Promise<TokenResponseOf<K>>;
  /** Rotates the refresh token (the desktop's, or the cookie) and returns a new access token. */
  refresh(...args: RefreshArgs<K>): Promise<TokenResponseOf<K>>;
  /** Revokes the session (its whole token family) on the server. */
  logout(session: LogoutSession<K>): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** Why fetch itself failed, in a word or two (Node names the socket error; browsers say nothing). */
function networkDetail(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ((error as { name?: unknown }).name === 'TimeoutError') return 'no answer in time';
  const cause = (error as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z_]{3,40}$/.test(code) ? code : undefined;
}

export function createAuthClient<K extends ClientKind>(options: AuthClientOptions<K>): AuthClient<K> {
  const { baseUrl, client } = options;
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
  const credentials = options.credentials ?? (client === 'web' ? 'same-origin' : 'omit');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const server = options.nameServerInMessages ? baseUrl : undefined;

  const post = async (operation: AuthOperation, body: LoginRequest | RefreshRequest | LogoutRequest, accessToken?: string): Promise<Response> => {
    try {
      return await doFetch(`${baseUrl}${AUTH_PATHS[operation]}`, {
        method: 'POST',
        credentials,
        cache: 'no-store',
        // Credentials are never re-sent to wherever a redirect points.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          ...options.headers,
          ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
        },
        body: JSON.stringify(body),
      });
    } catch (error) {
      const detail = networkDetail(error);
      throw new AuthClientError('SERVER_UNREACHABLE', { operation, message: authFailureMessage('SERVER_UNREACHABLE', { operation, server, detail }) });
    }
  };

  const failure = async (operation: AuthOperation, response: Response): Promise<AuthClientError> => {
    const { code: serverCode, requestId } = readErrorBody(await response.json().catch(() => null));
    const code = authFailureFor(operation, response.status, serverCode);
    const retryAfter = Number(response.headers.get('Retry-After'));
    const retryAfterSeconds = code === 'LOGIN_LOCKED_OUT' && Number.isFinite(retryAfter) && retryAfter > 0 ? Math.ceil(retryAfter) : undefined;
    const details = {
      operation,
      status: response.status,
      ...(serverCode ? { serverCode } : {}),
      ...(requestId ? { requestId } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    };
    return new AuthClientError(code, { ...details, message: authFailureMessage(code, { ...details, server }) });
  };

  const tokens = async (operation: AuthOperation, response: Response): Promise<TokenResponseOf<K>> => {
    if (response.status !== 200) throw await failure(operation, response);
    const parsed = tokenResponseSchemas[client].safeParse(await response.json().catch(() => null));
    if (!parsed.success) {
      const detail = `The server${server ? ` at ${server}` : ''} did not answer like a Reading Station server.`;
      throw new AuthClientError('SERVER_ERROR', { operation, status: 200, message: authFailureMessage('SERVER_ERROR', { operation, detail }) });
    }
    return parsed.data as TokenResponseOf<K>;
  };

  return {
    baseUrl,
    client,
    async login({ username, password }) {
      return tokens('login', await post('login', { username, password, client } satisfies LoginRequest));
    },
    async refresh(...args: RefreshArgs<K>) {
      const [refreshToken] = args as [string?];
      const body: RefreshRequest = refreshToken === undefined ? {} : { refreshToken, client };
      return tokens('refresh', await post('refresh', body));
    },
    async logout(session: LogoutSession<K>) {
      const { refreshToken, accessToken } = session as { refreshToken?: string; accessToken?: string };
      const response = await post('logout', refreshToken === undefined ? {} : ({ refreshToken } satisfies LogoutRequest), accessToken);
      if (response.status !== 204 && response.status !== 200) throw await failure('logout', response);
    },
  };
}
