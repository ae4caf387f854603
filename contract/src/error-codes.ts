import { z } from 'zod';

/**
 * Every `code` an error answer of the server can carry: the gate's (proxy-server) and the ones
 * nginx answers itself when the gate or Orthanc is down. Each with the HTTP status it comes with
 * and what it means. The gate's error helpers accept only these codes, so a new code is added here
 * first (and to the root README's table, which a test compares with this list).
 *
 * Not error codes: `TOKEN_REJECTED` and the other audit actions (audit rows, not answers).
 */
export const ERROR_CODES = {
  // Sign-in and sessions (/api/auth/*)
  INVALID_REQUEST: { status: 400, meaning: 'the login, refresh or logout body is malformed (missing or over-long fields, unknown keys)' },
  INVALID_CREDENTIALS: { status: 401, meaning: 'wrong user name or password, or a disabled account' },
  LOGIN_LOCKED_OUT: { status: 429, meaning: 'too many failed logins for this user and address; `Retry-After` says when to try again' },
  SESSION_EXPIRED: { status: 401, meaning: 'no refresh token, or one that is unknown, expired or revoked, the session reached its absolute cap or idle timeout, or the account was disabled: sign in again' },
  REFRESH_TOKEN_REUSED: { status: 401, meaning: 'an already rotated refresh token was presented again: the whole session is revoked (possible theft)' },
  // Bearer access tokens (DICOMweb and worklist)
  TOKEN_MISSING: { status: 401, meaning: 'no `Authorization: Bearer` access token' },
  TOKEN_EXPIRED: { status: 401, meaning: 'the access token has expired: renew it once and retry' },
  TOKEN_NOT_YET_VALID: { status: 401, meaning: 'the access token is not valid yet (`nbf` in the future)' },
  TOKEN_INVALID: { status: 401, meaning: 'bad signature, algorithm, issuer, audience or role claim, or the account is gone, disabled or has another role now' },
  SESSION_REVOKED: { status: 401, meaning: 'the session this access token belongs to was ended (logout, token reuse or an administrator): sign in again' },
  // The DICOMweb gate (/api/ris/dicom-web/*, /api/ris/wado) and the worklist (/api/ris/worklist)
  INVALID_PATH: { status: 400, meaning: 'the DICOMweb path is not a route the gate knows (UIDs, dot segments, encodings, doubled slashes)' },
  INVALID_QUERY: { status: 400, meaning: 'a query parameter is not allowed on this route or its value is malformed' },
  WADO_URI_NOT_SUPPORTED: { status: 400, meaning: 'WADO-URI is refused; use WADO-RS' },
  SEARCH_NOT_CONSTRAINED: { status: 403, meaning: 'a root series or instance search must name exactly one study the caller may see' },
  STUDY_FORBIDDEN: { status: 403, meaning: 'the caller may not see this study — or, for every role but admin, there is no such study (no existence oracle)' },
  STUDY_NOT_FOUND: { status: 404, meaning: 'no such study in the registry (told to administrators only)' },
  STUDY_CONFLICT: { status: 409, meaning: "the study's StudyInstanceUID is held by the PACS under more than one patient: refused to everyone until IT resolves it (`registry conflicts`)" },
  // Study assignments (/api/ris/studies/{uid}/assignment, administrators only)
  ASSIGNEE_NOT_ALLOWED: { status: 400, meaning: 'the user named in an assignment does not exist, is disabled, or has a role that cannot take it (a radiologist reads)' },
  AUDIT_UNAVAILABLE: { status: 503, meaning: 'the audit row could not be committed, so nothing was served (fail closed)' },
  // Any route: the app's error handler, by status
  BAD_REQUEST: { status: 400, meaning: 'the request could not be read (bad JSON, bad URL, other refused requests)' },
  VALIDATION_FAILED: { status: 400, meaning: 'the request did not pass a route schema' },
  UNAUTHENTICATED: { status: 401, meaning: 'authentication required' },
  FORBIDDEN: { status: 403, meaning: 'not allowed' },
  NOT_FOUND: { status: 404, meaning: 'no such route' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'the DICOMweb gate is read-only: GET or HEAD only' },
  NOT_ACCEPTABLE: { status: 406, meaning: 'no answer in an accepted media type' },
  REQUEST_TIMEOUT: { status: 408, meaning: 'the request took too long to arrive' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'the body is larger than the gate accepts (64 KiB)' },
  URI_TOO_LONG: { status: 414, meaning: 'the URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'the body is not JSON' },
  TOO_MANY_REQUESTS: { status: 429, meaning: 'too many requests' },
  HEADERS_TOO_LARGE: { status: 431, meaning: 'the request headers are too large' },
  INTERNAL: { status: 500, meaning: 'the gate failed; the log has the details under the request id' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'the gate is shutting down or cannot serve now' },
  // Answered by nginx itself
  GATE_UNREACHABLE: { status: 502, meaning: 'nginx cannot reach the gate (proxy-server)' },
  PACS_UNREACHABLE: { status: 502, meaning: 'nginx cannot reach Orthanc for an allowed request' },
  APP_NOT_BUILT: { status: 404, meaning: 'the web app is not built; run `npm run build -w renderer`' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes, in the order above (for `z.enum` and tables). */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/**
 * The JSON body of every error answer: `error` is a message safe to show, `code` tells errors
 * apart, `requestId` is what to quote to IT (also sent as the `X-Request-Id` header).
 */
export const errorBodySchema = z.object({
  error: z.string(),
  code: z.enum(ERROR_CODE_LIST),
  requestId: z.string(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * Reads what a client can use from an error answer's body, whatever it is: the code when it is
 * one of ours, the request id and message when present. Never throws.
 */
export function readErrorBody(body: unknown): { code: ErrorCode | undefined; message: string | undefined; requestId: string | undefined } {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return {
    code: isErrorCode(fields.code) ? fields.code : undefined,
    message: typeof fields.error === 'string' ? fields.error : undefined,
    requestId: typeof fields.requestId === 'string' ? fields.requestId : undefined,
  };
}
