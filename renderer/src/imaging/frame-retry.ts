/**
 * Frames are asked for again by themselves when a moment may cure the failure: the server or the
 * archive could not be reached, answered 502/503/504, or sent nothing within the frame's time
 * limit. A refusal (any other 4xx) and a frame that arrived but cannot be decoded fail at once:
 * asking again would bring the same.
 *
 * Each attempt is a new load through the loader, so a new request whose headers, the access token
 * among them, are asked for anew: a retry after a 30-s wait carries the token valid then, never
 * the one the first attempt was sent with. That is also why a 401 is asked again once, at once: the
 * loader takes the token as it queues the request, and a request that waited in the browser for a
 * free connection (behind others to a hanging archive) can arrive after that token expired. A
 * second 401 is the load's failure, and the viewer renews the session or ends it.
 *
 * The attempts are bounded: what still fails after them is reported as the loader's failure
 * (IMAGE_LOAD_FAILED), and the viewer shows its error with Retry. A timeout is asked again once
 * only: each timed-out attempt already made the reader wait the whole time limit.
 */
import { ApiError } from '../api/api-error.ts';

export interface FrameRetryPolicy {
  /** Attempts in all (the first included) for a failure that came at once. */
  attempts: number;
  /** Attempts in all once an attempt ran out of time. */
  timedOutAttempts: number;
  /** Pause before the second attempt; doubled before each further one. */
  backoffMs: number;
}

/** Two more attempts after 1 s and 2 s; one more after a timeout. */
export const FRAME_RETRY: FrameRetryPolicy = { attempts: 3, timedOutAttempts: 2, backoffMs: 1_000 };

/**
 * `transient`: network error or 502/503/504; `timeout`: no answer in time; `token`: 401, the
 * access token refused; `final`: anything else.
 */
export type FrameFailureKind = 'transient' | 'timeout' | 'token' | 'final';

const RETRIED_STATUSES = new Set([502, 503, 504]);

/**
 * What kind of failure a frame load ended in. The `wadors:` loader rejects with the
 * XMLHttpRequest (status 0 for a network error or a timeout, which `timedOut` tells apart); the
 * range loader with an ApiError (a timeout is PACS_UNREACHABLE without a status); a decoder with
 * any other Error.
 */
export function frameFailureKind(error: unknown, timedOut: (xhr: { status: number }) => boolean): FrameFailureKind {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'token';
    if (error.status !== undefined) return RETRIED_STATUSES.has(error.status) ? 'transient' : 'final';
    if (error.code === 'PACS_UNREACHABLE') return 'timeout';
    return error.code === 'SERVER_UNREACHABLE' ? 'transient' : 'final';
  }
  if (typeof error === 'object' && error !== null && 'status' in error && typeof (error as { status: unknown }).status === 'number') {
    const xhr = error as { status: number };
    if (xhr.status === 0) return timedOut(xhr) ? 'timeout' : 'transient';
    if (xhr.status === 401) return 'token';
    return RETRIED_STATUSES.has(xhr.status) ? 'transient' : 'final';
  }
  return 'final';
}

/**
 * A frame that got no answer within its time limit, as the frame-range and series loaders report it
 * (an ApiError without a status: `frameFailureKind` calls it a timeout).
 */
export function frameTimeoutError(): ApiError {
  return new ApiError('PACS_UNREACHABLE', { message: 'The image archive did not send the image in time. Retry; call IT if it persists.' });
}

/** The pause before 1-based `attempt` (0 before the first). */
export function frameRetryDelayMs(policy: FrameRetryPolicy, attempt: number): number {
  return attempt <= 1 ? 0 : policy.backoffMs * 2 ** (attempt - 2);
}

/** An attempt failed and the frame is asked for again after `retryInMs`. */
export interface FrameRetry {
  imageId: string;
  /** 1-based attempt about to start. */
  attempt: number;
  /** Attempts in all, as far as is known now (fewer once one timed out). */
  attempts: number;
  retryInMs: number;
  kind: Exclude<FrameFailureKind, 'final' | 'token'>;
  /** The failed attempt's rejection, as the loader gave it. */
  error: unknown;
}

/** Cornerstone's image loader shape, as far as used here. */
export type ImageLoad<T, O = Record<string, unknown>> = (imageId: string, options?: O) => { promise: Promise<T>; cancelFn?: (() => void) | undefined };

export interface RetryingLoaderOptions {
  policy?: FrameRetryPolicy;
  /** Tells a timed-out XMLHttpRequest from one that found no server (both status 0). */
  timedOut(xhr: { status: number }): boolean;
  /** Hears of every retry before its pause (for the series' progress). */
  onRetry?(retry: FrameRetry): void;
  sleep?(ms: number): Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Bumped by `cancelFrameRetries`: a retry started before then is not sent. */
let generation = 0;

/**
 * Retries waiting for their pause are dropped (each ends with its last failure): after a sign-out
 * no frame of the last user's studies may go out, and certainly not with the next user's token.
 */
export function cancelFrameRetries(): void {
  generation += 1;
}

/** The loader `load`, asking again as the policy says; rejects with the last attempt's failure. */
export function retryingImageLoader<T, O>(load: ImageLoad<T, O>, options: RetryingLoaderOptions): ImageLoad<T, O> {
  const policy = options.policy ?? FRAME_RETRY;
  const sleep = options.sleep ?? defaultSleep;
  return (imageId, loaderOptions) => {
    const promise = (async () => {
      const started = generation;
      let attempts = policy.attempts;
      let tokenRefused = false;
      for (let attempt = 1; ; attempt++) {
        try {
          return await load(imageId, loaderOptions).promise;
        } catch (error) {
          const kind = frameFailureKind(error, options.timedOut);
          if (kind === 'final' || (kind === 'token' && tokenRefused) || generation !== started) throw error;
          if (kind === 'token') {
            // Once, at once, and not counted: the new request asks for the token valid now.
            tokenRefused = true;
            attempt -= 1;
            continue;
          }
          if (kind === 'timeout') attempts = Math.min(attempts, policy.timedOutAttempts);
          if (attempt >= attempts) throw error;
          const retryInMs = frameRetryDelayMs(policy, attempt + 1);
          options.onRetry?.({ imageId, attempt: attempt + 1, attempts, retryInMs, kind, error });
          await sleep(retryInMs);
          if (generation !== started) throw error;
        }
      }
    })();
    return { promise, cancelFn: undefined };
  };
}
