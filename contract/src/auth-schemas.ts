import { z } from 'zod';
import { roleSchema } from './roles.ts';

/*
 * The auth API on the wire (nginx → proxy-server, same origin as the web app):
 *
 *   POST /api/auth/login    LoginRequest    → 200 WebTokenResponse | DesktopTokenResponse, or an ErrorBody
 *   POST /api/auth/refresh  RefreshRequest  → the same
 *   POST /api/auth/logout   LogoutRequest   → 204
 *
 * Web clients keep the refresh token in the HttpOnly cookie `rs_refresh` (Path=/api/auth), which
 * page code never sees, so their bodies carry no token. Desktop clients keep it in the OS keychain
 * and send and receive it in the body. The gate parses requests with these schemas and builds its
 * answers to these types; the clients parse answers with them.
 */

export const CLIENT_KINDS = ['web', 'desktop'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** The browser's refresh cookie: never readable by page code, sent only to /api/auth. */
export const REFRESH_COOKIE = 'rs_refresh';
export const REFRESH_COOKIE_PATH = '/api/auth';

export const AUTH_PATHS = {
  login: '/api/auth/login',
  refresh: '/api/auth/refresh',
  logout: '/api/auth/logout',
} as const;

const refreshToken = z.string().min(1).max(128);

export const loginRequestSchema = z.strictObject({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(1024),
  /** Desktop clients get the refresh token in the body; web clients (the default) in the cookie. */
  client: z.enum(CLIENT_KINDS).default('web'),
});
/** What a client sends (`client` may be left out: web). */
export type LoginRequest = z.input<typeof loginRequestSchema>;

/** A desktop client names its refresh token; a web client sends `{}` and the cookie. */
export const refreshRequestSchema = z
  .strictObject({
    refreshToken: refreshToken.optional(),
    client: z.enum(CLIENT_KINDS).default('web'),
  })
  .prefault({});
export type RefreshRequest = z.input<typeof refreshRequestSchema>;

/** Logout names the session the same way as a refresh: the desktop's token, or the cookie. */
export const logoutRequestSchema = refreshRequestSchema;
export type LogoutRequest = RefreshRequest;

export const sessionUserSchema = z.object({
  id: z.number().int(),
  username: z.string().min(1),
  displayName: z.string(),
  role: roleSchema,
});
export type SessionUser = z.infer<typeof sessionUserSchema>;

/** The 200 answer of login and refresh for a web client (the refresh token went into the cookie). */
export const webTokenResponseSchema = z.object({
  accessToken: z.string().min(1),
  tokenType: z.literal('Bearer'),
  /** The access token's lifetime in seconds: what clients schedule renewal by (see session-renewal.ts). */
  expiresIn: z.number().positive(),
  /** The access token's `exp` by the server's clock (ISO 8601). */
  expiresAt: z.iso.datetime({ offset: true }),
  user: sessionUserSchema,
});
export type WebTokenResponse = z.infer<typeof webTokenResponseSchema>;

/** The 200 answer for a desktop client: the rotated refresh token comes in the body. */
export const desktopTokenResponseSchema = webTokenResponseSchema.extend({
  refreshToken: z.string().min(1),
  refreshExpiresAt: z.iso.datetime({ offset: true }),
});
export type DesktopTokenResponse = z.infer<typeof desktopTokenResponseSchema>;

export type TokenResponseOf<K extends ClientKind> = K extends 'desktop' ? DesktopTokenResponse : WebTokenResponse;

export const tokenResponseSchemas = {
  web: webTokenResponseSchema,
  desktop: desktopTokenResponseSchema,
} as const;
