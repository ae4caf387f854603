import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { z } from 'zod';

/**
 * The server's auth API as the desktop client sees it (nginx → proxy-server, `client: 'desktop'`:
 * the refresh token comes in the body, since the keychain, not a cookie, keeps it).
 */

const roleSchema = z.enum(['admin', 'radiologist', 'doctor', 'patient', 'nurse', 'lab']);

const tokenResponseSchema = z.object({
  accessToken: z.string().min(1),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().positive(),
  expiresAt: z.iso.datetime({ offset: true }),
  user: z.object({
    id: z.number().int(),
    username: z.string().min(1),
    displayName: z.string(),
    role: roleSchema,
  }),
  refreshToken: z.string().min(1),
  refreshExpiresAt: z.iso.datetime({ offset: true }),
});

export type TokenResponse = z.infer<typeof tokenResponseSchema>;

const errorBodySchema = z.object({ error: z.string(), code: z.string(), requestId: z.string().optional() });

export type AuthApiErrorCode =
  | 'INVALID_CREDENTIALS'
  | 'LOGIN_LOCKED_OUT'
  | 'AUDIT_UNAVAILABLE'
  | 'SESSION_EXPIRED'
  | 'REFRESH_TOKEN_REUSED'
  | 'SERVER_UNREACHABLE'
  | 'SERVER_ERROR';

/**
 * A failed auth call, reduced to what the app acts on. Deliberately not wrapping axios's error:
 * that object carries the request body (the password, the refresh token) and must never reach a
 * log or the renderer.
 */
export class AuthApiError extends Error {
  override readonly name = 'AuthApiError';
  readonly code: AuthApiErrorCode;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly requestId: string | undefined;

  constructor(code: AuthApiErrorCode, message: string, details: { status?: number; retryAfterSeconds?: number; requestId?: string } = {}) {
    super(message);
    this.code = code;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.requestId = details.requestId;
  }

  /** The server answered that this refresh token no longer opens a session. */
  get sessionIsOver(): boolean {
    return this.code === 'SESSION_EXPIRED' || this.code === 'REFRESH_TOKEN_REUSED';
  }
}

export interface AuthApi {
  login(username: string, password: string): Promise<TokenResponse>;
  refresh(refreshToken: string): Promise<TokenResponse>;
  /** Revokes the session (the token's whole family) on the server. */
  logout(refreshToken: string): Promise<void>;
}

export interface AuthApiOptions {
  /** Per-request limit; a hung server must not hang login (default 15 s). */
  timeoutMs?: number;
  /** Sent as User-Agent: the server records it with the session, so IT can tell devices apart. */
  userAgent?: string;
}

const knownCodes = new Set<string>(['INVALID_CREDENTIALS', 'LOGIN_LOCKED_OUT', 'AUDIT_UNAVAILABLE', 'SESSION_EXPIRED', 'REFRESH_TOKEN_REUSED']);
const unreachableNetworkCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNABORTED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_NETWORK']);

export class HttpAuthApi implements AuthApi {
  readonly serverUrl: string;
  readonly #http: AxiosInstance;

  constructor(serverUrl: string, options: AuthApiOptions = {}) {
    this.serverUrl = serverUrl;
    this.#http = axios.create({
      baseURL: serverUrl,
      timeout: options.timeoutMs ?? 15_000,
      // Credentials are never re-sent to wherever a redirect points.
      maxRedirects: 0,
      // Every status is handled below, so that no axios error (which holds the body) is thrown.
      validateStatus: () => true,
      responseType: 'json',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(options.userAgent ? { 'user-agent': options.userAgent } : {}),
      },
    });
  }

  async login(username: string, password: string): Promise<TokenResponse> {
    const response = await this.#post('/api/auth/login', { username, password, client: 'desktop' });
    return this.#tokens(response);
  }

  async refresh(refreshToken: string): Promise<TokenResponse> {
    const response = await this.#post('/api/auth/refresh', { refreshToken, client: 'desktop' });
    return this.#tokens(response);
  }

  async logout(refreshToken: string): Promise<void> {
    const response = await this.#post('/api/auth/logout', { refreshToken });
    if (response.status !== 204 && response.status !== 200) throw this.#failure(response);
  }

  async #post(path: string, body: Record<string, string>): Promise<AxiosResponse<unknown>> {
    try {
      return await this.#http.post<unknown>(path, body);
    } catch (error) {
      const code = axios.isAxiosError(error) ? (error.code ?? '') : '';
      const reason = unreachableNetworkCodes.has(code) ? `(${code})` : '(network error)';
      throw new AuthApiError('SERVER_UNREACHABLE', `cannot reach the Reading Station server at ${this.serverUrl} ${reason}`);
    }
  }

  #tokens(response: AxiosResponse<unknown>): TokenResponse {
    if (response.status !== 200) throw this.#failure(response);
    const parsed = tokenResponseSchema.safeParse(response.data);
    if (!parsed.success) {
      throw new AuthApiError('SERVER_ERROR', `the server at ${this.serverUrl} did not answer like a Reading Station server`, { status: 200 });
    }
    return parsed.data;
  }

  #failure(response: AxiosResponse<unknown>): AuthApiError {
    const status = response.status;
    const body = errorBodySchema.safeParse(response.data);
    const requestId = body.success ? body.data.requestId : undefined;
    if (body.success && knownCodes.has(body.data.code)) {
      const retryAfter = Number(response.headers['retry-after']);
      return new AuthApiError(body.data.code as AuthApiErrorCode, body.data.error, {
        status,
        requestId,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
      });
    }
    if (status === 502 || status === 503 || status === 504) {
      return new AuthApiError('SERVER_UNREACHABLE', `the Reading Station server at ${this.serverUrl} is not answering (HTTP ${status}); try again shortly`, { status, requestId });
    }
    if (status === 404) {
      return new AuthApiError('SERVER_ERROR', `no Reading Station sign-in service at ${this.serverUrl}; check the server address`, { status, requestId });
    }
    const detail = body.success && status < 500 ? `: ${body.data.error}` : '';
    return new AuthApiError('SERVER_ERROR', `the server answered HTTP ${status}${detail}`, { status, requestId });
  }
}
