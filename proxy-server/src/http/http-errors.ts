import type { ErrorBody, ErrorCode } from '@reading-station/contract';
import type { FastifyReply } from 'fastify';

/*
 * Error answers are the contract's `ErrorBody` ({ error, code, requestId }), and their codes the
 * contract's `ErrorCode`s: a code the contract does not list does not compile here, so a new one is
 * added to contract/src/error-codes.ts (and the README's table) first.
 */

/**
 * An error meant for the client: its message is shown as is, so it must not carry internals.
 * Throw it from a route; the app's error handler answers with it.
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: ErrorCode;

  constructor(statusCode: number, code: ErrorCode, message: string) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

export function sendErrorBody(reply: FastifyReply, statusCode: number, code: ErrorCode, message: string): FastifyReply {
  const body: ErrorBody = { error: message, code, requestId: reply.request.id };
  return reply.code(statusCode).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}

const CODES_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
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

/** The code of an error answer that has none of its own: by status, else INTERNAL (5xx) or BAD_REQUEST (4xx). */
export function codeForStatus(statusCode: number): ErrorCode {
  return CODES_BY_STATUS[statusCode] ?? (statusCode >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}
