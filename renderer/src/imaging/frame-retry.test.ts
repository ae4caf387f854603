import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/api-error.ts';
import { cancelFrameRetries, FRAME_RETRY, frameFailureKind, frameRetryDelayMs, retryingImageLoader, type FrameRetry, type ImageLoad } from './frame-retry.ts';

/** An XMLHttpRequest as the `wadors:` loader rejects with it. */
const xhr = (status: number, timedOut = false) => ({ status, timedOut });
const timedOut = (request: { status: number }) => (request as { timedOut?: boolean }).timedOut === true;

/** A loader whose attempts fail with `failures` in turn, then succeed; records each attempt. */
function scriptedLoader(failures: unknown[], onAttempt: (imageId: string) => void = () => undefined): { load: ImageLoad<string>; calls: () => number } {
  let calls = 0;
  const load: ImageLoad<string> = (imageId) => {
    calls += 1;
    onAttempt(imageId);
    const failure = failures[calls - 1];
    return { promise: failure === undefined ? Promise.resolve(`image ${imageId}`) : Promise.reject(failure) };
  };
  return { load, calls: () => calls };
}

/** Pauses recorded instead of waited. */
function recordedSleep(): { sleep: (ms: number) => Promise<void>; pauses: number[] } {
  const pauses: number[] = [];
  return { pauses, sleep: (ms) => (pauses.push(ms), Promise.resolve()) };
}

describe('frameFailureKind', () => {
  it('retries what a moment may cure: no server, 502/503/504, no answer in time', () => {
    expect(frameFailureKind(xhr(0), timedOut)).toBe('transient');
    expect(frameFailureKind(xhr(0, true), timedOut)).toBe('timeout');
    for (const status of [502, 503, 504]) expect(frameFailureKind(xhr(status), timedOut)).toBe('transient');
    expect(frameFailureKind(new ApiError('SERVER_UNREACHABLE'), timedOut)).toBe('transient');
    expect(frameFailureKind(new ApiError('PACS_UNREACHABLE', { status: 502 }), timedOut)).toBe('transient');
    expect(frameFailureKind(new ApiError('AUDIT_UNAVAILABLE', { status: 503 }), timedOut)).toBe('transient');
    // The range loader's timeout: PACS_UNREACHABLE without a status.
    expect(frameFailureKind(new ApiError('PACS_UNREACHABLE'), timedOut)).toBe('timeout');
  });

  it('tells a refused access token apart', () => {
    expect(frameFailureKind(xhr(401), timedOut)).toBe('token');
    expect(frameFailureKind(new ApiError('SESSION_ENDED', { status: 401 }), timedOut)).toBe('token');
  });

  it('fails at once on a refusal or a frame that cannot be decoded', () => {
    for (const status of [400, 403, 404, 406, 409, 500]) expect(frameFailureKind(xhr(status), timedOut)).toBe('final');
    expect(frameFailureKind(new ApiError('STUDY_FORBIDDEN', { status: 403 }), timedOut)).toBe('final');
    expect(frameFailureKind(new ApiError('IMAGE_DECODE_FAILED'), timedOut)).toBe('final');
    expect(frameFailureKind(new Error('codec failed'), timedOut)).toBe('final');
    expect(frameFailureKind(undefined, timedOut)).toBe('final');
  });
});

describe('retryingImageLoader', () => {
  it('asks again after 1 s and 2 s for a failure that came at once, and returns the image once it comes', async () => {
    const { sleep, pauses } = recordedSleep();
    const retries: FrameRetry[] = [];
    const { load, calls } = scriptedLoader([xhr(502), xhr(0)]);
    const loader = retryingImageLoader(load, { timedOut, sleep, onRetry: (r) => retries.push(r) });
    await expect(loader('wadors:/frames/1').promise).resolves.toBe('image wadors:/frames/1');
    expect(calls()).toBe(3);
    expect(pauses).toEqual([1_000, 2_000]);
    expect(retries.map((r) => [r.attempt, r.attempts, r.retryInMs, r.kind])).toEqual([
      [2, 3, 1_000, 'transient'],
      [3, 3, 2_000, 'transient'],
    ]);
  });

  it('is bounded: the third failure is the load\'s failure, as the loader gave it', async () => {
    const { sleep } = recordedSleep();
    const last = xhr(503);
    const { load, calls } = scriptedLoader([xhr(502), xhr(504), last, undefined]);
    const loader = retryingImageLoader(load, { timedOut, sleep });
    await expect(loader('wadors:/frames/1').promise).rejects.toBe(last);
    expect(calls()).toBe(FRAME_RETRY.attempts);
  });

  it('asks again only once after a timeout (each one already waited the whole time limit)', async () => {
    const { sleep, pauses } = recordedSleep();
    const retries: FrameRetry[] = [];
    const { load, calls } = scriptedLoader([xhr(0, true), xhr(0, true), undefined]);
    const loader = retryingImageLoader(load, { timedOut, sleep, onRetry: (r) => retries.push(r) });
    await expect(loader('wadors:/frames/7').promise).rejects.toMatchObject({ status: 0, timedOut: true });
    expect(calls()).toBe(2);
    expect(pauses).toEqual([1_000]);
    expect(retries.map((r) => [r.attempt, r.attempts, r.kind])).toEqual([[2, 2, 'timeout']]);
  });

  it('never asks again for a refusal or an undecodable frame', async () => {
    for (const failure of [xhr(403), xhr(404), new ApiError('IMAGE_DECODE_FAILED'), new Error('decoder')]) {
      const { sleep, pauses } = recordedSleep();
      const { load, calls } = scriptedLoader([failure, undefined]);
      await expect(retryingImageLoader(load, { timedOut, sleep })('wadors:/frames/1').promise).rejects.toBe(failure);
      expect(calls()).toBe(1);
      expect(pauses).toEqual([]);
    }
  });

  it('sends each attempt as a new request with the access token valid when it goes out', async () => {
    // The bridge's rule: a token is renewed once it is about to expire (here after 30 s), and
    // each request asks for one as it goes out (the loader's beforeSend).
    let now = 0;
    let issued = 0;
    let held = { token: '', expiresAt: -1 };
    const getAccessToken = () => {
      if (now >= held.expiresAt) held = { token: `token-${++issued}`, expiresAt: now + 30_000 };
      return held.token;
    };
    const sent: string[] = [];
    // The first attempt waits the frame's whole time limit and times out.
    const { load } = scriptedLoader([xhr(0, true)], () => {
      sent.push(getAccessToken());
      now += sent.length === 1 ? 30_000 : 100;
    });
    const loader = retryingImageLoader(load, {
      timedOut,
      sleep: async (ms) => {
        now += ms;
      },
    });
    await expect(loader('wadors:/frames/1').promise).resolves.toBe('image wadors:/frames/1');
    expect(sent).toEqual(['token-1', 'token-2']);
  });

  it('asks once more at once after a 401 (the token is asked for anew), and a second 401 is the failure', async () => {
    const { sleep, pauses } = recordedSleep();
    const ok = scriptedLoader([xhr(401), xhr(502)]);
    await expect(retryingImageLoader(ok.load, { timedOut, sleep })('wadors:/frames/1').promise).resolves.toBe('image wadors:/frames/1');
    // The 401 took no pause and no attempt: the 502 was still retried.
    expect(ok.calls()).toBe(3);
    expect(pauses).toEqual([1_000]);

    const second = xhr(401);
    const refused = scriptedLoader([xhr(401), second, undefined]);
    await expect(retryingImageLoader(refused.load, { timedOut, sleep })('wadors:/frames/1').promise).rejects.toBe(second);
    expect(refused.calls()).toBe(2);
  });

  it('sends nothing more once retries are cancelled (sign-out) during a pause', async () => {
    const first = xhr(502);
    const { load, calls } = scriptedLoader([first, undefined]);
    const loader = retryingImageLoader(load, {
      timedOut,
      sleep: async () => {
        cancelFrameRetries();
      },
    });
    await expect(loader('wadors:/frames/1').promise).rejects.toBe(first);
    expect(calls()).toBe(1);
    // Loads started afterwards retry as before.
    const { sleep } = recordedSleep();
    const again = scriptedLoader([xhr(502), undefined]);
    await expect(retryingImageLoader(again.load, { timedOut, sleep })('wadors:/frames/1').promise).resolves.toBe('image wadors:/frames/1');
    expect(again.calls()).toBe(2);
  });

  it('grows the pause: 1 s, 2 s, 4 s', () => {
    const policy = { attempts: 4, timedOutAttempts: 2, backoffMs: 1_000 };
    expect([1, 2, 3, 4].map((attempt) => frameRetryDelayMs(policy, attempt))).toEqual([0, 1_000, 2_000, 4_000]);
  });
});
