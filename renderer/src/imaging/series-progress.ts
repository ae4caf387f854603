/**
 * Per-series load progress: how many images of each registered series are loaded and how many
 * failed, published to the viewer as `SeriesProgress` snapshots.
 *
 * A series loads dozens of images a second on the same thread that takes them in, and every
 * publication re-renders the viewer page; so a load that does not finish its series is published
 * at most every `intervalMs` (100 ms by default), together with every other series that changed
 * meanwhile. What a user must see at once is published at once: the last image of a series (it is
 * complete), a failure, and a (re-)registered series.
 */

export interface SeriesProgress {
  loaded: number;
  failed: number;
  total: number;
  /** Images waiting to be asked for again after a transient failure, and the latest reason; absent when none. */
  retrying?: { images: number; reason: string };
}

export interface SeriesProgressOptions {
  /** Receives each publication: the series and its counts at that moment. */
  publish(seriesInstanceUid: string, progress: SeriesProgress): void;
  /** The shortest time between two publications of unfinished loads. */
  intervalMs?: number;
}

export const PROGRESS_INTERVAL_MS = 100;

interface SeriesCounts {
  readonly total: number;
  readonly loaded: Set<string>;
  readonly failed: Set<string>;
  /** imageId → why it is being asked for again. */
  readonly retrying: Map<string, string>;
}

export class SeriesProgressTracker {
  readonly #publish: SeriesProgressOptions['publish'];
  readonly #intervalMs: number;
  /** imageId → series, to count loader events (which are global) against the right series. */
  readonly #seriesOfImage = new Map<string, string>();
  readonly #series = new Map<string, SeriesCounts>();
  /** Series whose counts changed since they were last published. */
  readonly #pending = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: SeriesProgressOptions) {
    this.#publish = options.publish;
    this.#intervalMs = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  }

  /**
   * Starts counting a series afresh (a new series, or one opened again), with the images that are
   * already loaded (`isLoaded`, e.g. in Cornerstone's cache) counted at once; publishes at once.
   */
  register(seriesInstanceUid: string, imageIds: readonly string[], isLoaded: (imageId: string) => boolean = () => false): void {
    for (const imageId of imageIds) this.#seriesOfImage.set(imageId, seriesInstanceUid);
    this.#series.set(seriesInstanceUid, {
      total: imageIds.length,
      loaded: new Set(imageIds.filter((imageId) => isLoaded(imageId))),
      failed: new Set(),
      retrying: new Map(),
    });
    this.#publishNow(seriesInstanceUid);
  }

  /** The registered series an image belongs to; undefined for anyone else's image. */
  seriesOf(imageId: string): string | undefined {
    return this.#seriesOfImage.get(imageId);
  }

  /** Current counts (also between publications); null for a series never registered. */
  progress(seriesInstanceUid: string): SeriesProgress | null {
    const counts = this.#series.get(seriesInstanceUid);
    if (!counts) return null;
    const progress: SeriesProgress = { loaded: counts.loaded.size, failed: counts.failed.size, total: counts.total };
    const reason = [...counts.retrying.values()].at(-1);
    if (reason !== undefined) progress.retrying = { images: counts.retrying.size, reason };
    return progress;
  }

  /**
   * An image loaded (an earlier failure of it is forgotten). Published at once when that settles
   * its series, otherwise with the next throttled publication. Returns the image's series.
   */
  imageLoaded(imageId: string): string | undefined {
    const series = this.#seriesOfImage.get(imageId);
    const counts = series === undefined ? undefined : this.#series.get(series);
    if (series === undefined || !counts) return undefined;
    counts.loaded.add(imageId);
    counts.failed.delete(imageId);
    counts.retrying.delete(imageId);
    if (counts.loaded.size + counts.failed.size >= counts.total) this.#publishNow(series);
    else this.#publishSoon(series);
    return series;
  }

  /** An image failed to load; published at once. Returns the image's series. */
  imageFailed(imageId: string): string | undefined {
    const series = this.#seriesOfImage.get(imageId);
    const counts = series === undefined ? undefined : this.#series.get(series);
    if (series === undefined || !counts) return undefined;
    counts.failed.add(imageId);
    counts.retrying.delete(imageId);
    this.#publishNow(series);
    return series;
  }

  /**
   * An image failed transiently and is asked for again (`reason` says why); published at once, so
   * that the series says what it waits for. Returns the image's series.
   */
  imageRetrying(imageId: string, reason: string): string | undefined {
    const series = this.#seriesOfImage.get(imageId);
    const counts = series === undefined ? undefined : this.#series.get(series);
    if (series === undefined || !counts) return undefined;
    // Latest reason last (Map order is insertion order).
    counts.retrying.delete(imageId);
    counts.retrying.set(imageId, reason);
    this.#publishNow(series);
    return series;
  }

  /** Forgets a series' failures before its images are requested again (a retry); publishes at once. */
  clearFailures(seriesInstanceUid: string): void {
    const counts = this.#series.get(seriesInstanceUid);
    if (!counts || counts.failed.size === 0) return;
    counts.failed.clear();
    this.#publishNow(seriesInstanceUid);
  }

  /** Drops a pending publication; nothing is published after this. */
  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending.clear();
  }

  #publishSoon(seriesInstanceUid: string): void {
    this.#pending.add(seriesInstanceUid);
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      for (const series of [...this.#pending]) this.#publishNow(series);
    }, this.#intervalMs);
  }

  #publishNow(seriesInstanceUid: string): void {
    this.#pending.delete(seriesInstanceUid);
    const progress = this.progress(seriesInstanceUid);
    if (progress) this.#publish(seriesInstanceUid, progress);
  }
}
