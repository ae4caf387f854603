import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// What an upstream request id may look like to be kept: nginx's $request_id (32 hex digits), UUIDs
// and similar tokens. Anything else is replaced, so a header cannot inject text into logs or the
// audit trail.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const REQUEST_ID_HEADER = 'x-request-id';

/** The caller's X-Request-Id when it is safe to reuse, else a fresh UUID. */
export function requestIdFor(request: Pick<IncomingMessage, 'headers'>): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
