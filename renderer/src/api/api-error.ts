/**
 * Failures the UI can act on, named as the gate names them (`{ error, code, requestId }`), plus
 * the ones only the client sees (network down, session over, undecodable image). Each carries a
 * message that says what happened and what to do; banners show it as is.
 */
import { SESSION_END_MESSAGES, readErrorBody } from '@reading-station/contract';

export type ApiErrorCode =
  | 'SESSION_ENDED'
  | 'STUDY_FORBIDDEN'
  | 'STUDY_NOT_FOUND'
  | 'PACS_UNREACHABLE'
  | 'AUDIT_UNAVAILABLE'
  | 'SERVER_UNREACHABLE'
  | 'IMAGE_DECODE_FAILED'
  | 'UNEXPECTED';

/** What the user can do about it; decides the banner's buttons. */
export type ErrorRemedy = 'sign-in' | 'back-to-worklist' | 'retry';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  /** The server's own code when it sent one (e.g. TOKEN_EXPIRED), for support. */
  readonly serverCode: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;

  constructor(code: ApiErrorCode, details: { status?: number; serverCode?: string; requestId?: string; message?: string } = {}) {
    super(details.message ?? messageFor(code, details.status, details.serverCode));
    this.name = 'ApiError';
    this.code = code;
    this.status = details.status;
    this.serverCode = details.serverCode;
    this.requestId = details.requestId;
  }

  get remedy(): ErrorRemedy {
    return remedyFor(this.code);
  }
}

export function remedyFor(code: ApiErrorCode): ErrorRemedy {
  switch (code) {
    case 'SESSION_ENDED':
      return 'sign-in';
    case 'STUDY_FORBIDDEN':
    case 'STUDY_NOT_FOUND':
      return 'back-to-worklist';
    default:
      return 'retry';
  }
}

export function messageFor(code: ApiErrorCode, status?: number, serverCode?: string): string {
  switch (code) {
    case 'SESSION_ENDED':
      return SESSION_END_MESSAGES.expired;
    case 'STUDY_FORBIDDEN':
      return 'You do not have permission for this study.';
    case 'STUDY_NOT_FOUND':
      return 'This study was not found. The link may be wrong or the study may have been removed.';
    case 'PACS_UNREACHABLE':
      return 'PACS unreachable: the image archive is not answering. Retry in a moment; call IT if it persists.';
    case 'AUDIT_UNAVAILABLE':
      return 'The audit store is unavailable, and images cannot be shown without recording the access. Retry shortly or call IT.';
    case 'SERVER_UNREACHABLE':
      return 'The Reading Station server cannot be reached. Check the network connection and retry.';
    case 'IMAGE_DECODE_FAILED':
      return 'This image could not be decoded. Retry; if it fails again, report the study to IT.';
    case 'UNEXPECTED':
      return `The server answered with an unexpected error (${[status ? `HTTP ${status}` : null, serverCode].filter(Boolean).join(', ') || 'no details'}). Retry; call IT if it persists.`;
  }
}

/** Maps an HTTP failure (status and the gate's JSON body, if any) to what the UI shows. */
export function apiErrorFromStatus(status: number, body: unknown): ApiError {
  const { code: serverCode, requestId } = readErrorBody(body);
  const details = { status, ...(serverCode ? { serverCode } : {}), ...(requestId ? { requestId } : {}) };
  if (status === 401) return new ApiError('SESSION_ENDED', details);
  if (status === 403) return new ApiError('STUDY_FORBIDDEN', details);
  if (status === 404) return new ApiError('STUDY_NOT_FOUND', details);
  if (serverCode === 'AUDIT_UNAVAILABLE') return new ApiError('AUDIT_UNAVAILABLE', details);
  if (serverCode === 'GATE_UNREACHABLE') return new ApiError('SERVER_UNREACHABLE', details);
  if (status === 502 || status === 504 || serverCode === 'PACS_UNREACHABLE') return new ApiError('PACS_UNREACHABLE', details);
  return new ApiError('UNEXPECTED', details);
}

/** Reads a failed response's JSON body (if it has one) into an ApiError. */
export async function apiErrorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (e.g. an HTML error page from a proxy): the status alone decides.
  }
  return apiErrorFromStatus(response.status, body);
}

/** Decodes the body of a failed XMLHttpRequest (the image loader asks for array buffers). */
export function apiErrorFromXhr(xhr: { status: number; response: unknown }): ApiError {
  if (xhr.status === 0) return new ApiError('SERVER_UNREACHABLE');
  return apiErrorFromStatus(xhr.status, parseJsonBody(xhr.response));
}

function parseJsonBody(response: unknown): unknown {
  try {
    const bytes = response instanceof ArrayBuffer ? new Uint8Array(response) : null;
    const text = bytes ? new TextDecoder().decode(bytes) : typeof response === 'string' ? response : null;
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
