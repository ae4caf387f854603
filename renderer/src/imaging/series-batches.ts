/**
 * Single-frame series fetched in one gated request: a series retrieval (`GET …/studies/{s}/series/{se}`,
 * every instance as it is stored, `transfer-syntax=*`) read as it arrives (the contract's MultipartStreamParser),
 * each instance's frame taken out of its Part 10 object (part10-frame.ts) and handed to the load of
 * its imageId, which decodes it as a frame from `…/frames/1` (Cornerstone's `createImage`). Instead
 * of one request per slice — one token check, policy decision and audit row each, and a second hop
 * through nginx — the series costs one of each; docs/architecture.md has the measurements.
 *
 * The imageIds stay the `wadors:` frame URLs: the instance's metadata, thumbnails and the per-frame
 * loader answer for them as before. The per-frame request is the fallback for every frame a batch
 * does not deliver: the request refused (a 401 while the token is renewed, an archive that is
 * down), a stream cut short (Orthanc stopped), an object taken as is only by a frame request
 * (part10-frame.ts), a slice already being loaded on its own. Those frames then fail, are asked
 * again and are marked exactly as any frame's request (frame-retry.ts, frame-failures.ts). A stream
 * that stops sending for as long as a frame may take ends its waiting loads with the frame's
 * timeout, which is asked again once, on its own, so an archive that hangs shows its error as soon
 * as before.
 *
 * Memory stays bounded: a frame is handed to the load waiting for it and dropped; frames that
 * arrive before their load asks are held up to MAX_HELD_BYTES, beyond which they are dropped and
 * later fetched on their own.
 */
import { MultipartStreamParser, SERIES_ACCEPT } from '@reading-station/contract';
import { ApiError } from '../api/api-error.ts';
import { frameTimeoutError } from './frame-retry.ts';
import { singleFrameOf } from './part10-frame.ts';

/**
 * A series is fetched as one batch from this many single-frame instances: the viewer loads the slice
 * on screen on its own first, and the batch must save at least one request besides it.
 */
export const MIN_BATCH_INSTANCES = 3;
/** Frames held for loads that have not asked yet (compressed; a 512 × 512 HTJ2K CT slice is ≈ 200 KB). */
export const MAX_HELD_BYTES = 128 * 1024 * 1024;
/** As long as one frame may take (cornerstone.ts FRAME_TIMEOUT_MS): a stream silent that long has stalled. */
export const BATCH_IDLE_TIMEOUT_MS = 30_000;

export interface BatchedFrame {
  bytes: Uint8Array;
  transferSyntax: string;
}

/** What the decision needs of each instance of a series. */
export interface BatchCandidate {
  numberOfFrames: number;
  /** Frames Cornerstone's decoders do not read right go through the frame-range loader (pixel-data.ts). */
  ownDecoding: boolean;
}

/**
 * Whether a series is fetched in a batch: at least MIN_BATCH_INSTANCES instances with pixel data,
 * all of a single frame that Cornerstone decodes as sent. Multi-frame instances come in frame ranges
 * (frame-ranges.ts); a series mixing both keeps the loaders it had.
 */
export function batchesSeries(instances: readonly BatchCandidate[]): boolean {
  return instances.length >= MIN_BATCH_INSTANCES && instances.every((i) => i.numberOfFrames === 1 && !i.ownDecoding);
}

interface Waiter {
  resolve(frame: BatchedFrame | null): void;
  reject(error: unknown): void;
}

export interface SeriesBatchOptions {
  /** The series retrieval's URL (`…/studies/{s}/series/{se}`). */
  url: string;
  /** SOPInstanceUIDs whose frames are wanted, with their imageIds. */
  wanted: ReadonlyMap<string, string>;
  headers(): Promise<Record<string, string>>;
  /** Whether that imageId is loaded or being loaded by other means: its frame is then not kept. */
  loadedElsewhere?(imageId: string): boolean;
  fetch?: typeof fetch;
  idleTimeoutMs?: number;
  maxHeldBytes?: number;
}

/** One series retrieval in flight, and the frames it delivered that no load has taken yet. */
export class SeriesBatch {
  readonly #options: SeriesBatchOptions;
  readonly #remaining: Map<string, string>;
  readonly #held = new Map<string, BatchedFrame>();
  readonly #waiters = new Map<string, Waiter>();
  readonly #controller = new AbortController();
  #heldBytes = 0;
  #running = true;
  #timedOut = false;
  #cancelled = false;
  /** Settles once the stream is over, however it ended. */
  readonly done: Promise<void>;

  constructor(options: SeriesBatchOptions) {
    this.#options = options;
    this.#remaining = new Map(options.wanted);
    this.done = this.#run();
  }

  get running(): boolean {
    return this.#running;
  }

  /**
   * The frame of this instance: at once if held, when it arrives if the stream may still bring it,
   * else null (load it on its own). Rejects with the frame timeout when the stream stalled.
   */
  take(sopInstanceUid: string): Promise<BatchedFrame | null> {
    const held = this.#held.get(sopInstanceUid);
    if (held) {
      this.#held.delete(sopInstanceUid);
      this.#heldBytes -= held.bytes.length;
      return Promise.resolve(held);
    }
    if (!this.#running || !this.#remaining.has(sopInstanceUid) || this.#waiters.has(sopInstanceUid)) return Promise.resolve(null);
    return new Promise((resolve, reject) => this.#waiters.set(sopInstanceUid, { resolve, reject }));
  }

  /**
   * Stops the stream and drops what it holds (a sign-out): loads waiting for it fail rather than go
   * out on their own, with whatever token is current then.
   */
  cancel(): void {
    this.#cancelled = true;
    this.#controller.abort();
    this.#held.clear();
    this.#heldBytes = 0;
  }

  async #run(): Promise<void> {
    let idle: ReturnType<typeof setTimeout> | undefined;
    const idleTimeoutMs = this.#options.idleTimeoutMs ?? BATCH_IDLE_TIMEOUT_MS;
    const armIdleTimer = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        this.#timedOut = true;
        this.#controller.abort();
      }, idleTimeoutMs);
    };
    try {
      armIdleTimer();
      const headers = { ...(await this.#options.headers()), Accept: SERIES_ACCEPT };
      const response = await (this.#options.fetch ?? fetch)(this.#options.url, { headers, signal: this.#controller.signal });
      const parser = MultipartStreamParser.forContentType(response.headers.get('Content-Type') ?? '');
      // Refused or not a multipart answer: each frame's own request meets and reports the failure.
      if (!response.ok || !response.body || !parser) {
        await response.body?.cancel().catch(() => undefined);
        return;
      }
      const reader = response.body.getReader();
      for (;;) {
        armIdleTimer();
        const { done, value } = await reader.read();
        if (done) break;
        for (const part of parser.push(value)) this.#deliver(part.body);
        if (this.#remaining.size === 0) {
          await reader.cancel().catch(() => undefined);
          break;
        }
      }
    } catch {
      // Network failure, abort or stall: the frames not delivered are settled below.
    } finally {
      clearTimeout(idle);
      this.#end();
    }
  }

  #deliver(object: Uint8Array): void {
    const frame = singleFrameOf(object);
    if (!frame) return;
    const imageId = this.#remaining.get(frame.sopInstanceUid);
    if (imageId === undefined) return;
    this.#remaining.delete(frame.sopInstanceUid);
    const delivered = { bytes: frame.bytes, transferSyntax: frame.transferSyntax };
    const waiter = this.#waiters.get(frame.sopInstanceUid);
    if (waiter) {
      this.#waiters.delete(frame.sopInstanceUid);
      waiter.resolve(delivered);
      return;
    }
    if (this.#options.loadedElsewhere?.(imageId)) return;
    if (this.#heldBytes + delivered.bytes.length > (this.#options.maxHeldBytes ?? MAX_HELD_BYTES)) return;
    this.#held.set(frame.sopInstanceUid, delivered);
    this.#heldBytes += delivered.bytes.length;
  }

  #end(): void {
    this.#running = false;
    for (const waiter of this.#waiters.values()) {
      if (this.#cancelled) waiter.reject(new ApiError('SESSION_ENDED'));
      else if (this.#timedOut) waiter.reject(frameTimeoutError());
      else waiter.resolve(null);
    }
    this.#waiters.clear();
  }
}
