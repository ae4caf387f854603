import { randomBytes } from 'node:crypto';

// The revision of a study that the gate writes into the cached internal URI
// (/internal-orthanc/cached/{revision}/dicom-web/studies/{uid}/…), so nginx's cache key changes
// whenever Orthanc's copy of the study changes and an answer cached before the change is never
// looked up again (docs/operations.md, "The DICOMweb cache").
//
// Orthanc stamps a study's LastUpdate (UTC, to the second) when an instance of it is stored, and
// also when one of its instances or series is deleted; its changes feed shows neither deletion.
// So the gate watches LastUpdate itself: every pollIntervalMs it asks Orthanc, in one /tools/find,
// for the LastUpdate of the studies it has handed out revisions for (the active studies), and gives
// a study a new revision when its LastUpdate moved since the last look, or when it is not older
// than Orthanc's clock at the previous look: a change in a second that was not over yet (another
// instance may have arrived later in that second), or one the previous look could not have seen
// for a study that became active after it. A study Orthanc no longer
// holds is forgotten, so a later request gets a revision never used before. An answer cached
// under a revision is therefore served at most one poll (plus the time a poll takes) after
// Orthanc's copy changed. While the watch cannot reach Orthanc, or has fallen behind, the gate
// hands out no revision: requests go to the uncached location.
//
// Revisions are this process's own: a random epoch made at start and a counter, 16 hex digits.
// Another gate, or this one after a restart, never reuses one, so it never finds entries cached
// under revisions it did not check.

/** What the watch asks Orthanc (OrthancClient; a fake in unit tests). */
export interface StudyRevisionSource {
  /** Orthanc's clock, UTC, `YYYYMMDDTHHMMSS` (`GET /tools/now`). */
  now(): Promise<string>;
  /** LastUpdate (UTC, `YYYYMMDDTHHMMSS`) of those of these studies Orthanc holds, by Orthanc ID. */
  studyLastUpdates(studyInstanceUids: readonly string[]): Promise<Map<string, string>>;
}

export interface StudyRevisionsOptions {
  source: StudyRevisionSource;
  /** How often Orthanc is asked; an answer may be served this long after the study changed. */
  pollIntervalMs?: number;
  /** Active studies kept at most; the least recently requested is forgotten first. */
  maxStudies?: number;
  /** A study not requested for this long is forgotten (and no longer polled). */
  idleMs?: number;
  now?: () => number;
}

interface ActiveStudy {
  studyInstanceUid: string;
  revision: string;
  /** LastUpdate when last seen; undefined until the first poll after the study became active. */
  lastUpdate: string | undefined;
  requestedAt: number;
}

/** Revisions of this many studies at most are checked per request to Orthanc. */
const UIDS_PER_FIND = 200;

export class StudyRevisions {
  readonly #source: StudyRevisionSource;
  readonly #pollIntervalMs: number;
  readonly #maxStudies: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  #onError: (error: unknown) => void = () => undefined;
  #failing = false;
  #epoch = randomBytes(4).toString('hex');
  #counter = 0;
  /** By Orthanc study ID; Map order is request order (least recent first). */
  readonly #active = new Map<string, ActiveStudy>();
  /** Orthanc's clock at the start of the last successful poll ('' before the first). */
  #orthancClockAtLastPoll = '';
  /** When the last poll started that succeeded, on this process's clock. */
  #lastPollStartedAt: number;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: StudyRevisionsOptions) {
    this.#source = options.source;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#maxStudies = options.maxStudies ?? 2000;
    this.#idleMs = options.idleMs ?? 3_600_000;
    this.#now = options.now ?? (() => Date.now());
    this.#lastPollStartedAt = this.#now();
  }

  /**
   * Told once when polls start failing (with the error) and once when they succeed again (with
   * undefined), not at every poll.
   */
  setErrorHandler(handler: (error: unknown) => void): void {
    this.#onError = handler;
  }

  get pollIntervalMs(): number {
    return this.#pollIntervalMs;
  }

  /** How many studies are watched now. */
  get activeStudies(): number {
    return this.#active.size;
  }

  /**
   * The revision to key this study's cached answers with, or undefined when none may be used now
   * (the watch is behind: serve uncached). Makes the study active.
   */
  revisionOf(orthancId: string, studyInstanceUid: string): string | undefined {
    if (!this.isCurrent()) return undefined;
    const now = this.#now();
    let study = this.#active.get(orthancId);
    if (study === undefined) {
      study = { studyInstanceUid, revision: this.#nextRevision(), lastUpdate: undefined, requestedAt: now };
    } else {
      study.requestedAt = now;
    }
    this.#active.delete(orthancId);
    this.#active.set(orthancId, study);
    while (this.#active.size > this.#maxStudies) {
      const oldest = this.#active.keys().next().value as string;
      this.#active.delete(oldest);
    }
    return study.revision;
  }

  /** True while the last successful poll started less than two poll intervals ago. */
  isCurrent(): boolean {
    return this.#now() - this.#lastPollStartedAt < 2 * this.#pollIntervalMs;
  }

  /** One look at Orthanc; exported for tests, run every pollIntervalMs by start(). */
  async poll(): Promise<void> {
    const startedAt = this.#now();
    for (const [id, study] of this.#active) {
      if (startedAt - study.requestedAt > this.#idleMs) this.#active.delete(id);
    }
    if (this.#active.size === 0) {
      // Nothing is keyed by a revision that a change could have made stale.
      this.#lastPollStartedAt = startedAt;
      return;
    }
    const clock = await this.#source.now();
    const watched = [...this.#active.entries()];
    const lastUpdates = new Map<string, string>();
    for (let i = 0; i < watched.length; i += UIDS_PER_FIND) {
      const uids = watched.slice(i, i + UIDS_PER_FIND).map(([, study]) => study.studyInstanceUid);
      for (const [id, lastUpdate] of await this.#source.studyLastUpdates(uids)) lastUpdates.set(id, lastUpdate);
    }
    for (const [id, study] of watched) {
      const lastUpdate = lastUpdates.get(id);
      if (lastUpdate === undefined) {
        // Deleted in Orthanc (or never there): a later request starts from a revision never used.
        this.#active.delete(id);
        continue;
      }
      const moved = study.lastUpdate !== undefined && study.lastUpdate !== lastUpdate;
      if (moved || lastUpdate >= this.#orthancClockAtLastPoll) study.revision = this.#nextRevision();
      study.lastUpdate = lastUpdate;
    }
    this.#orthancClockAtLastPoll = clock;
    this.#lastPollStartedAt = startedAt;
  }

  /** Polls in the background until stop(). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const started = this.#now();
      try {
        await this.poll();
        if (this.#failing) this.#onError(undefined);
        this.#failing = false;
      } catch (error) {
        if (!this.#failing) this.#onError(error);
        this.#failing = true;
      }
      const pause = Math.max(0, this.#pollIntervalMs - (this.#now() - started));
      if (this.#running) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#timer = setTimeout(resolve, pause);
        });
      }
    }
  }

  #nextRevision(): string {
    if (this.#counter === 0xffffffff) {
      this.#epoch = randomBytes(4).toString('hex');
      this.#counter = 0;
    }
    this.#counter += 1;
    return `${this.#epoch}${this.#counter.toString(16).padStart(8, '0')}`;
  }
}
