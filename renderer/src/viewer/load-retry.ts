/**
 * A study's metadata requests never hang: each attempt has a time limit, a failure the user could
 * only answer with "Retry" (archive or server unreachable, no answer in time) is retried by itself
 * after a growing pause, and every wait is reported (what is awaited, which attempt, the pause) so
 * that the page can say what it waits for. What stays failed after the last attempt is thrown for
 * the page's Retry button; a refusal (forbidden, not found, session over) is thrown at once.
 */
import { ApiError } from '../api/api-error.ts';

export interface RetryPolicy {
  /** Longest wait for one answer. */
  timeoutMs: number;
  /** Attempts in all (the first one included). */
  attempts: number;
  /** Pause before the second attempt; doubled before each further one. */
  backoffMs: number;
}

/** Metadata answers in well under a second when the archive is well; 15 s means it is not. */
export const METADATA_RETRY: RetryPolicy = { timeoutMs: 15_000, attempts: 3, backoffMs: 1_000 };

export interface LoadWait {
  /** 1-based attempt about to start (or started). */
  attempt: number;
  attempts: number;
  /** Why the previous attempt failed; null for the first. */
  lastError: ApiError | null;
  /** Pause before this attempt starts (0 for the first). */
  retryInMs: number;
}

export function timeoutError(timeoutMs: number): ApiError {
  return new ApiError('PACS_UNREACHABLE', {
    message: `No answer from the image archive within ${Math.round(timeoutMs / 1000)} s. Retry; call IT if it persists.`,
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `task` with a signal that aborts when `signal` does or the attempt's time is up, retrying
 * as the policy says. `onWait` hears of every attempt before it starts.
 */
export async function withRetry<T>(
  task: (signal: AbortSignal) => Promise<T>,
  options: { signal: AbortSignal; policy?: RetryPolicy; onWait?: (wait: LoadWait) => void },
): Promise<T> {
  const policy = options.policy ?? METADATA_RETRY;
  let lastError: ApiError | null = null;
  for (let attempt = 1; ; attempt++) {
    const retryInMs = attempt === 1 ? 0 : policy.backoffMs * 2 ** (attempt - 2);
    options.onWait?.({ attempt, attempts: policy.attempts, lastError, retryInMs });
    if (retryInMs > 0) await sleep(retryInMs, options.signal);
    const attemptController = new AbortController();
    const abort = () => attemptController.abort(options.signal.reason);
    options.signal.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attemptController.abort(timeoutError(policy.timeoutMs));
    }, policy.timeoutMs);
    try {
      return await task(attemptController.signal);
    } catch (error) {
      if (options.signal.aborted) throw error;
      const failure = timedOut ? timeoutError(policy.timeoutMs) : error;
      if (!(failure instanceof ApiError) || failure.remedy !== 'retry' || attempt >= policy.attempts) throw failure;
      lastError = failure;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', abort);
    }
  }
}

/** What the page says while it waits: what for, and after a failure, why and when it asks again. */
export function waitMessage(what: string, wait: LoadWait): string {
  if (!wait.lastError) return `Loading ${what}…`;
  const seconds = Math.max(1, Math.round(wait.retryInMs / 1000));
  return `${wait.lastError.message} Asking again for ${what} in ${seconds} s (attempt ${wait.attempt} of ${wait.attempts})…`;
}
