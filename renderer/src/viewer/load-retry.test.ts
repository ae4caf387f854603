import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/api-error.ts';
import { waitMessage, withRetry, type LoadWait, type RetryPolicy } from './load-retry.ts';

const POLICY: RetryPolicy = { timeoutMs: 5_000, attempts: 3, backoffMs: 1_000 };

/** A task that never answers, but does stop when its signal aborts (as fetch does). */
const hanging = (signal: AbortSignal) =>
  new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

describe('withRetry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives up on a request that never answers after the time limit of every attempt and the pauses between them', async () => {
    const waits: LoadWait[] = [];
    const signals: AbortSignal[] = [];
    const result = withRetry(
      (signal) => {
        signals.push(signal);
        return hanging(signal);
      },
      { signal: new AbortController().signal, policy: POLICY, onWait: (w) => waits.push(w) },
    );
    const settled = result.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    // 5 s + 1 s pause + 5 s + 2 s pause + 5 s.
    await vi.advanceTimersByTimeAsync(17_999);
    expect(signals).toHaveLength(3);
    expect(signals.slice(0, 2).every((s) => s.aborted)).toBe(true);
    expect(signals[2]?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await settled;
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('PACS_UNREACHABLE');
    expect((error as ApiError).message).toContain('within 5 s');
    expect(waits.map((w) => [w.attempt, w.retryInMs, w.lastError?.code ?? null])).toEqual([
      [1, 0, null],
      [2, 1_000, 'PACS_UNREACHABLE'],
      [3, 2_000, 'PACS_UNREACHABLE'],
    ]);
  });

  it('retries an unreachable archive and returns the answer once it is back', async () => {
    let calls = 0;
    const result = withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new ApiError('PACS_UNREACHABLE');
        return 'metadata';
      },
      { signal: new AbortController().signal, policy: POLICY },
    );
    await vi.advanceTimersByTimeAsync(3_000);
    await expect(result).resolves.toBe('metadata');
    expect(calls).toBe(3);
  });

  it('throws a refusal at once: retrying cannot change it', async () => {
    let calls = 0;
    const result = withRetry(
      async () => {
        calls += 1;
        throw new ApiError('STUDY_FORBIDDEN');
      },
      { signal: new AbortController().signal, policy: POLICY },
    );
    await expect(result).rejects.toMatchObject({ code: 'STUDY_FORBIDDEN' });
    expect(calls).toBe(1);
  });

  it('stops waiting when the page goes away', async () => {
    const page = new AbortController();
    let calls = 0;
    const result = withRetry(
      async () => {
        calls += 1;
        throw new ApiError('SERVER_UNREACHABLE');
      },
      { signal: page.signal, policy: POLICY },
    );
    const settled = result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    page.abort(new DOMException('closed', 'AbortError'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await settled).toBeInstanceOf(DOMException);
    expect(calls).toBe(1);
  });
});

describe('waitMessage', () => {
  it('names what is awaited, and after a failure why, when it asks again and which attempt', () => {
    expect(waitMessage('the series list', { attempt: 1, attempts: 3, lastError: null, retryInMs: 0 })).toBe('Loading the series list…');
    expect(waitMessage('series 2 of 3', { attempt: 2, attempts: 3, lastError: new ApiError('PACS_UNREACHABLE'), retryInMs: 2_000 })).toBe(
      'PACS unreachable: the image archive is not answering. Retry in a moment; call IT if it persists. Asking again for series 2 of 3 in 2 s (attempt 2 of 3)…',
    );
  });
});
