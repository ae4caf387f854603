import { randomBytes } from 'node:crypto';
import { BackgroundLoop } from '../background-loop.ts';
import type { OrthancChanges } from '../orthanc/orthanc-client.ts';

// The revision of a study that the gate writes into the cached internal URI
// (/internal-orthanc/cached/{revision}/dicom-web/studies/{uid}/…), so nginx's cache key changes
// whenever Orthanc's copy of the study changes and an answer cached before the change is never
// looked up again (docs/operations.md, "The DICOMweb cache").
//
// A look at Orthanc reads three things, in this order:
//   1. how many instances Orthanc holds (`GET /statistics`);
//   2. its changes feed from where the last look stopped (`GET /changes?since=`): every stored
//      instance, new series or study, stable series or study, updated attachment or metadata. The
//      resources they name are mapped to their studies in one `POST /tools/bulk-content`, and any
//      change of a watched study gives it a new revision;
//   3. when the count moved, or this look or the one before read any change or found changes
//      missing, the LastUpdate of the watched studies (`GET /tools/now` and one `POST /tools/find`).
//      Deletions are not in the feed (Orthanc drops a deleted resource's changes with it and logs
//      none), but they lower the count, unless instances were stored meanwhile, and those are in
//      the feed of this look or the one before (the count is read before the feed), or missing
//      from it when deleted again: a hole in its sequence numbers. Orthanc stamps LastUpdate (to the
//      second) when an instance of a study is stored or deleted: a study whose LastUpdate moved
//      since the last check, or is not older than Orthanc's clock at that check (a change later in
//      a second that was not over), gets a new revision; one Orthanc no longer holds is forgotten,
//      so a later request gets a revision never used, and is remembered as gone: the gate refuses
//      it (isGone) until the feed shows the study again or the registry has dropped it.
//
// Metadata and searches wait for a look that STARTED after the request arrived (caughtUp()):
// concurrent requests share one, and none can miss a change Orthanc recorded before it arrived.
// Frames do not wait (an instance's frames never change for a transfer syntax); they take the
// revision as the periodic look (every pollIntervalMs) left it. While Orthanc cannot be asked, or
// the last look is older than two intervals, no revision is handed out: requests go uncached.
//
// Revisions are this process's own: a random epoch made at start and a counter, 16 hex digits.
// Another gate, or this one after a restart, never reuses one, so it never finds entries cached
// under revisions it did not check.

/** What the watch asks Orthanc (OrthancClient; a fake in unit tests). */
export interface StudyRevisionSource {
  /** How many instances Orthanc holds (`GET /statistics`). */
  instanceCount(): Promise<number>;
  /** `GET /changes?since=&limit=` (the registry sync's reader too). */
  changes(since: number, limit: number): Promise<OrthancChanges>;
  /** The newest change's sequence number. */
  lastChange(): Promise<number>;
  /** Orthanc IDs of the studies these resources (patients, studies, series, instances) belong to; those gone are left out. */
  studiesOf(resourceIds: readonly string[]): Promise<string[]>;
  /** Orthanc's clock, UTC, `YYYYMMDDTHHMMSS` (`GET /tools/now`). */
  now(): Promise<string>;
  /** LastUpdate (UTC, `YYYYMMDDTHHMMSS`) of those of these studies Orthanc holds, by Orthanc ID. */
  studyLastUpdates(studyInstanceUids: readonly string[]): Promise<Map<string, string>>;
  /** The study by Orthanc ID (`GET /studies/{id}`), undefined when Orthanc answers 404. */
  study(orthancId: string): Promise<object | undefined>;
}

export interface StudyRevisionsOptions {
  source: StudyRevisionSource;
  /** How often Orthanc is looked at without a request waiting; a frame may be served this long after its study changed. */
  pollIntervalMs?: number;
  /** Active studies kept at most; the least recently requested is forgotten first. */
  maxStudies?: number;
  /** A study not requested for this long is forgotten (and no longer checked). */
  idleMs?: number;
  now?: () => number;
}

interface ActiveStudy {
  studyInstanceUid: string;
  revision: string;
  /** LastUpdate when last checked; undefined until the first check after the study became active. */
  lastUpdate: string | undefined;
  requestedAt: number;
}

/** Revisions of this many studies at most are checked per request to Orthanc. */
const UIDS_PER_FIND = 200;
/** Changes read per request to the feed, and resources mapped to studies per request. */
const CHANGES_PER_READ = 1000;
/** How long a study seen deleted is refused by the gate itself; by then the registry sync has long dropped it. */
const GONE_MS = 10 * 60_000;

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
  /** Watched studies a look found deleted, by Orthanc study ID: when (on this process's clock). */
  readonly #gone = new Map<string, number>();
  /** Orthanc's clock at the start of the last LastUpdate check ('' before the first). */
  #orthancClockAtLastCheck = '';
  /** Where the last look left the feed; undefined before the first. */
  #feedPosition: number | undefined;
  /** Orthanc's instance count at the last look. */
  #instanceCount: number | undefined;
  /** The last look read changes from the feed, or found some missing from it. */
  #changesAtLastLook = false;
  /** When the last look started that succeeded, on this process's clock. */
  #lastLookStartedAt: number;
  /** The look under way, and the one queued behind it for requests that arrived during it. */
  #inFlight: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #looksStarted = 0;
  readonly #loop = new BackgroundLoop(() => this.#round());

  constructor(options: StudyRevisionsOptions) {
    this.#source = options.source;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#maxStudies = options.maxStudies ?? 2000;
    this.#idleMs = options.idleMs ?? 3_600_000;
    this.#now = options.now ?? (() => Date.now());
    this.#lastLookStartedAt = this.#now();
  }

  /**
   * Told once when looks start failing (with the error) and once when they succeed again (with
   * undefined), not at every look.
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

  /** How many looks at Orthanc have started (for tests and the bench). */
  get looksStarted(): number {
    return this.#looksStarted;
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

  /**
   * Whether a look found this study deleted in Orthanc (and the feed has not shown it since): the
   * gate refuses it before nginx and its cache are involved, without waiting for the registry.
   */
  isGone(orthancId: string): boolean {
    const seen = this.#gone.get(orthancId);
    if (seen === undefined) return false;
    if (this.#now() - seen <= GONE_MS) return true;
    this.#gone.delete(orthancId);
    return false;
  }

  /** True while the last successful look started less than two poll intervals ago. */
  isCurrent(): boolean {
    return this.#now() - this.#lastLookStartedAt < 2 * this.#pollIntervalMs;
  }

  /**
   * Resolves once a look at Orthanc that started after this call has finished, so every change
   * Orthanc recorded before the call has moved the revisions it concerns; rejects when that look
   * failed (then serve uncached). A look under way when the call comes started too early: the call
   * waits for it and joins the next, which every call arriving meanwhile shares (one Orthanc look
   * for any number of waiting requests).
   */
  caughtUp(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    if (this.#inFlight === undefined) return this.#startLook();
    const queued = this.#inFlight.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      this.#queued = undefined;
      return this.#startLook();
    });
    this.#queued = queued;
    return queued;
  }

  /** One look at Orthanc now, joining the rules of caughtUp(); run every pollIntervalMs by start(). */
  poll(): Promise<void> {
    return this.caughtUp();
  }

  #startLook(): Promise<void> {
    this.#looksStarted += 1;
    const look = this.#look().finally(() => {
      if (this.#inFlight === look) this.#inFlight = undefined;
    });
    this.#inFlight = look;
    return look;
  }

  async #look(): Promise<void> {
    const startedAt = this.#now();
    for (const [id, study] of this.#active) {
      if (startedAt - study.requestedAt > this.#idleMs) this.#active.delete(id);
    }
    for (const [id, seen] of this.#gone) {
      if (startedAt - seen > GONE_MS) this.#gone.delete(id);
    }
    if (this.#active.size === 0 && this.#gone.size === 0) {
      // Nothing is keyed by a revision that a change could have made stale; the next study made
      // active gets a revision never used, and the look after it starts the feed afresh.
      this.#feedPosition = undefined;
      this.#instanceCount = undefined;
      this.#lastLookStartedAt = startedAt;
      return;
    }
    // The count before the feed: an instance stored after this read is in this look's feed or the next's.
    const count = await this.#source.instanceCount();
    const first = this.#feedPosition === undefined;
    let position = first ? await this.#source.lastChange() : (this.#feedPosition as number);
    const touched: string[] = [];
    let changes = 0;
    let hole = false;
    if (!first) {
      for (;;) {
        const batch = await this.#source.changes(position, CHANGES_PER_READ);
        changes += batch.changes.length;
        for (const change of batch.changes) touched.push(change.id);
        // Sequence numbers are never reused: fewer changes than numbers since the position means
        // some were dropped with a resource deleted meanwhile (with none left after it, Orthanc's
        // Last is still the newest number it gave).
        if (batch.last !== position + batch.changes.length) hole = true;
        position = batch.last;
        if (batch.done || batch.changes.length === 0) break;
      }
    }
    if (touched.length > 0) {
      const resources = [...new Set(touched)];
      for (let i = 0; i < resources.length; i += CHANGES_PER_READ) {
        for (const id of await this.#source.studiesOf(resources.slice(i, i + CHANGES_PER_READ))) {
          const study = this.#active.get(id);
          if (study !== undefined) study.revision = this.#nextRevision();
          // Sent again after its deletion: Orthanc holds it once more.
          this.#gone.delete(id);
        }
      }
    }
    // Deletions are not in the feed: LastUpdate tells, whenever the count or the feed says something happened.
    const moved = first || count !== this.#instanceCount || changes > 0 || hole || this.#changesAtLastLook;
    if (moved && this.#active.size > 0) await this.#checkLastUpdates(first);
    this.#feedPosition = position;
    this.#instanceCount = count;
    this.#changesAtLastLook = changes > 0 || hole;
    this.#lastLookStartedAt = startedAt;
  }

  async #checkLastUpdates(renewAll: boolean): Promise<void> {
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
        // Not in the answer: asked for by its ID before the gate refuses it (an Orthanc with
        // LimitFindResults set cuts a long answer short).
        if ((await this.#source.study(id)) !== undefined) {
          study.revision = this.#nextRevision();
          study.lastUpdate = undefined;
          continue;
        }
        // Deleted in Orthanc: a later request starts from a revision never used.
        this.#active.delete(id);
        this.#gone.delete(id);
        this.#gone.set(id, this.#now());
        while (this.#gone.size > this.#maxStudies) this.#gone.delete(this.#gone.keys().next().value as string);
        continue;
      }
      const moved = study.lastUpdate !== undefined && study.lastUpdate !== lastUpdate;
      // Revisions handed out while the feed was not followed are renewed: their changes were not read.
      if (renewAll || moved || lastUpdate >= this.#orthancClockAtLastCheck) study.revision = this.#nextRevision();
      study.lastUpdate = lastUpdate;
    }
    this.#orthancClockAtLastCheck = clock;
  }

  /** Looks in the background until stop(). */
  start(): void {
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** One periodic look; a failure is reported once until a look succeeds again. */
  async #round(): Promise<number> {
    const started = this.#now();
    try {
      await this.poll();
      if (this.#failing) this.#onError(undefined);
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.#onError(error);
      this.#failing = true;
    }
    return Math.max(0, this.#pollIntervalMs - (this.#now() - started));
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
