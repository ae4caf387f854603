import type { FastifyReply } from 'fastify';

/** The JSON body of every error answer; the viewer tells errors apart by `code`. */
export interface ErrorBody {
  error: string;
  code: string;
  requestId: string;
}

/**
 * An error meant for the client: its message is shown as is, so it must not carry internals.
 * Throw it from a route; the app's error handler answers with it.
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;

  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

export function sendErrorBody(reply: FastifyReply, statusCode: number, code: string, message: string): FastifyReply {
  const body: ErrorBody = { error: message, code, requestId: reply.request.id };
  return reply.code(statusCode).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}

const CODES_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

export function codeForStatus(statusCode: number): string {
  return CODES_BY_STATUS[statusCode] ?? (statusCode >= 500 ? 'INTERNAL' : `HTTP_${statusCode}`);
}
