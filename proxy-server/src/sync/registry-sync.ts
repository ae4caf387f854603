import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { BackgroundLoop } from '../background-loop.ts';
import type { RsDatabase } from '../db/database.ts';
import { LeaseLost, RowLease } from '../db/lease.ts';
import type { Database } from '../db/schema.ts';
import type { OrthancChanges, OrthancStudy } from '../orthanc/orthanc-client.ts';
import { patientIdProblem } from '../patients/patient-repository.ts';
import { RegistryError } from '../registry-error.ts';
import { upsertImportedStudy } from '../studies/study-repository.ts';

// The registry follows the PACS. Orthanc's changes feed says which studies became stable (all
// their instances arrived), and which were deleted; the worker reads each such study's attributes
// from Orthanc's REST API (text already decoded to UTF-8 from any DICOM character set) and writes
// the registry rows together with the feed position in one transaction, so a restart of the gate
// or of Orthanc resumes exactly after the last change applied. Deletions leave no trace in the
// feed (Orthanc drops a deleted resource's changes with it, and logs none for the deletion), so
// the worker prunes: when Orthanc holds fewer studies than the registry has from it, or the feed
// shows a hole, it lists Orthanc's study identifiers and removes the rows of studies that are gone. A lease row lets one gate follow at
// a time when several share a database. A registry with no position yet, or one older than the
// oldest change Orthanc still keeps, is reconciled: every study Orthanc holds is read again and
// rows of studies Orthanc no longer has are removed.

/** What the worker needs from Orthanc (OrthancClient; a fake in unit tests). */
export interface RegistrySource {
  changes(since: number, limit: number): Promise<OrthancChanges>;
  lastChange(): Promise<number>;
  studyIds(since: number, limit: number): Promise<string[]>;
  study(orthancId: string): Promise<OrthancStudy | undefined>;
  /** How many studies Orthanc holds (`GET /statistics`). */
  studyCount(): Promise<number>;
}

export interface SyncLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface RegistrySyncOptions {
  db: RsDatabase;
  source: RegistrySource;
  /** Who holds the lease; unique per process by default. */
  owner?: string;
  /** Pause between polls of the feed once it is drained. */
  pollIntervalMs?: number;
  /** Changes read per request. */
  batchSize?: number;
  /** How long a lease lasts without renewal; another gate takes over after that. */
  leaseMs?: number;
  /** Upper bound of the pause after repeated failures (it doubles from pollIntervalMs). */
  maxBackoffMs?: number;
  log?: SyncLogger;
  now?: () => Date;
}

export interface SyncStatus {
  /** This process holds the lease and follows the feed. */
  leader: boolean;
  /** Last change applied to the registry (null before the first reconcile). */
  lastSeq: number | null;
  /** Newest change Orthanc was last seen to hold. */
  orthancLastSeq: number | null;
  /** Changes Orthanc holds that the registry has not applied yet (as far as last seen). */
  behind: number;
  /** Why the last attempt failed; cleared by the next success. No credentials, ever. */
  lastError: string | null;
  consecutiveFailures: number;
  lastSuccessAt: string | null;
}

export type SyncStep = 'idle' | 'more' | 'standby';

export const SYNC_SOURCE = 'orthanc';

const STUDY_UPSERT_CHANGES = new Set(['StableStudy']);
const RECONCILE_PAGE = 500;

/** Why a study is not recorded although Orthanc holds it: a UID under two patients (see #conflicts). */
export const CONFLICT_REASON = 'Orthanc holds this StudyInstanceUID under another PatientID too: refused to everyone until resolved in the PACS (see `registry conflicts`)';
/** Why a study is not recorded: Orthanc no longer holds it. */
export const GONE_REASON = 'deleted from Orthanc before it was recorded';

/**
 * Why the worker leaves a study Orthanc holds out of the registry, judged from the study alone
 * (the registry files every study under its patient, found by PatientID); undefined when it
 * records it. The admin CLI's import says so at once instead of waiting for it.
 */
export function unrecordableReason(study: OrthancStudy): string | undefined {
  if (study.patientId === null) return 'no PatientID: the registry files every study under its patient';
  return patientIdProblem(study.patientId);
}

const silent: SyncLogger = { info: () => undefined, warn: () => undefined };

function toSeq(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

export class RegistrySync {
  readonly #db: RsDatabase;
  readonly #source: RegistrySource;
  readonly #lease: RowLease<'registry_sync'>;
  readonly #pollIntervalMs: number;
  readonly #batchSize: number;
  readonly #maxBackoffMs: number;
  #log: SyncLogger;
  readonly #now: () => Date;
  #status: SyncStatus = {
    leader: false,
    lastSeq: null,
    orthancLastSeq: null,
    behind: 0,
    lastError: null,
    consecutiveFailures: 0,
    lastSuccessAt: null,
  };
  readonly #loop = new BackgroundLoop(() => this.#round());

  constructor(options: RegistrySyncOptions) {
    this.#db = options.db;
    this.#source = options.source;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#batchSize = options.batchSize ?? 200;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.#log = options.log ?? silent;
    this.#now = options.now ?? (() => new Date());
    this.#lease = new RowLease({
      table: 'registry_sync',
      key: SYNC_SOURCE,
      owner: options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
      leaseMs: options.leaseMs ?? 30_000,
      initial: { last_seq: null, updated_at: this.#now().toISOString() },
      lostMessage: 'another gate took over the registry sync',
      now: this.#now,
    });
  }

  /** Where the worker reports what it did (the server's logger once it exists). */
  setLogger(log: SyncLogger): void {
    this.#log = log;
  }

  get owner(): string {
    return this.#lease.owner;
  }

  status(): SyncStatus {
    return { ...this.#status };
  }

  /** Follows the feed in the background until stop(). */
  start(): void {
    this.#loop.start();
  }

  /** Stops following and gives the lease back, so another gate can take over at once. */
  async stop(): Promise<void> {
    await this.#loop.stop();
    await this.#releaseLease().catch(() => undefined);
  }

  /** One round of the loop; returns the pause before the next. */
  async #round(): Promise<number> {
    try {
      const step = await this.step();
      return step === 'more' ? 0 : step === 'standby' ? Math.max(this.#pollIntervalMs, Math.floor(this.#lease.leaseMs / 3)) : this.#pollIntervalMs;
    } catch (error) {
      this.#status.consecutiveFailures += 1;
      this.#status.lastError = error instanceof Error ? error.message : String(error);
      const pause = Math.min(this.#maxBackoffMs, this.#pollIntervalMs * 2 ** Math.min(this.#status.consecutiveFailures, 16));
      this.#log.warn({ err: this.#status.lastError, retryInMs: pause, failures: this.#status.consecutiveFailures }, 'registry sync failed; retrying');
      return pause;
    }
  }

  /**
   * One step: take or renew the lease, reconcile if needed, then apply one batch of changes.
   * `more` when the feed has more right now, `idle` when drained, `standby` when another gate
   * holds the lease.
   */
  async step(): Promise<SyncStep> {
    const position = await this.#acquireLease();
    this.#status.leader = position !== undefined;
    if (position === undefined) {
      this.#status.lastError = null;
      this.#status.consecutiveFailures = 0;
      this.#status.lastSuccessAt = this.#now().toISOString();
      return 'standby';
    }
    let lastSeq = position.lastSeq;
    if (lastSeq === null) {
      lastSeq = await this.reconcile();
    }
    const batch = await this.#source.changes(lastSeq, this.#batchSize);
    const first = batch.changes[0];
    // A hole after the position: changes of deleted resources (gone with them), or history
    // Orthanc no longer keeps (MaximumChangesHistory) when even its oldest change is past it.
    const hole = first === undefined ? batch.last > lastSeq : first.seq > lastSeq + 1;
    if (hole) {
      const oldest = (await this.#source.changes(0, 1)).changes[0]?.seq;
      if (oldest !== undefined && oldest > lastSeq + 1 && oldest === first?.seq) {
        this.#log.warn({ lastSeq, oldestKept: oldest }, 'Orthanc no longer keeps the changes after the registry position; reconciling');
        await this.reconcile();
        return 'more';
      }
    }
    await this.#apply(batch, lastSeq);
    if (batch.done && (hole || (await this.#registryHasMoreThanOrthanc()))) await this.prune();
    if (batch.done) await this.#settleConflicts();
    this.#succeeded(batch.last, batch.done ? batch.last : null);
    return batch.done ? 'idle' : 'more';
  }

  /**
   * Reads every study Orthanc holds into the registry and removes rows of studies it no longer
   * has; then the position is Orthanc's newest change as it was before the listing (changes made
   * during the listing are applied again afterwards, which is harmless). Safe to interrupt and run
   * again. Returns the new position.
   */
  async reconcile(onProgress?: (progress: { done: number; total: number | null }) => void): Promise<number> {
    const startSeq = await this.#source.lastChange();
    const seen = new Set<string>();
    let done = 0;
    for (let since = 0; ; since += RECONCILE_PAGE) {
      const ids = await this.#source.studyIds(since, RECONCILE_PAGE);
      const studies: OrthancStudy[] = [];
      for (const id of ids) {
        seen.add(id);
        const study = await this.#source.study(id);
        if (study !== undefined) studies.push(study);
      }
      await this.#db.transaction().execute(async (trx) => {
        await this.#assertLease(trx);
        for (const study of studies) await this.#record(trx, study);
      });
      done += ids.length;
      onProgress?.({ done, total: null });
      if (ids.length < RECONCILE_PAGE) break;
    }
    await this.#confirmAbsent(seen);
    await this.#db.transaction().execute(async (trx) => {
      await this.#assertLease(trx);
      await this.#removeAbsent(trx, seen);
      const now = this.#now().toISOString();
      await this.#savePosition(trx, startSeq, { reconciled_at: now });
    });
    this.#log.info({ studies: done, position: startSeq }, 'registry reconciled with Orthanc');
    this.#succeeded(startSeq, null);
    return startSeq;
  }

  /**
   * Removes the registry rows of studies Orthanc no longer holds (deleted through its REST API or
   * by a retention rule). Returns how many were removed.
   */
  async prune(): Promise<number> {
    const present = new Set<string>();
    for (let since = 0; ; since += RECONCILE_PAGE) {
      const ids = await this.#source.studyIds(since, RECONCILE_PAGE);
      for (const id of ids) present.add(id);
      if (ids.length < RECONCILE_PAGE) break;
    }
    await this.#confirmAbsent(present);
    const removed = await this.#db.transaction().execute(async (trx) => {
      await this.#assertLease(trx);
      return this.#removeAbsent(trx, present);
    });
    if (removed > 0) this.#log.info({ removed }, 'studies deleted in Orthanc removed from the registry');
    return removed;
  }

  /**
   * Orthanc's study list is read in pages by offset; studies deleted while it is read shift the
   * pages, so a study that is there can be missed. Each one the listing missed is asked for by id
   * before its row goes: only a study Orthanc answers 404 for is gone.
   */
  async #confirmAbsent(present: Set<string>): Promise<void> {
    const rows = await this.#db.selectFrom('studies').select('orthanc_id').where('orthanc_id', 'is not', null).execute();
    const conflicts = await this.#db.selectFrom('study_conflicts').select('orthanc_id').execute();
    for (const { orthanc_id: id } of [...rows, ...conflicts]) {
      if (id !== null && !present.has(id) && (await this.#source.study(id)) !== undefined) present.add(id);
    }
  }

  async #removeAbsent(trx: Kysely<Database>, present: ReadonlySet<string>): Promise<number> {
    const rows = await trx.selectFrom('studies').select(['id', 'orthanc_id']).where('orthanc_id', 'is not', null).execute();
    const gone = rows.filter((row) => row.orthanc_id !== null && !present.has(row.orthanc_id)).map((row) => row.id);
    for (let i = 0; i < gone.length; i += 500) {
      await trx.deleteFrom('studies').where('id', 'in', gone.slice(i, i + 500)).execute();
    }
    const conflicts = await trx.selectFrom('study_conflicts').select('orthanc_id').execute();
    await removeConflicts(trx, conflicts.map((row) => row.orthanc_id).filter((id) => !present.has(id)));
    return gone.length;
  }

  /**
   * A conflict ends when IT deletes one of its Orthanc studies, which the feed does not say and the
   * study counts may not show: each holder of a recorded conflict (a handful) is looked up.
   */
  async #settleConflicts(): Promise<void> {
    const holders = await this.#db.selectFrom('study_conflicts').select(['orthanc_id', 'study_instance_uid']).execute();
    const gone: string[] = [];
    const remaining: OrthancStudy[] = [];
    for (const { orthanc_id: id } of holders) {
      const study = await this.#source.study(id);
      if (study === undefined) gone.push(id);
      else remaining.push(study);
    }
    if (gone.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      await this.#assertLease(trx);
      await trx.deleteFrom('studies').where('orthanc_id', 'in', gone).execute();
      await removeConflicts(trx, gone);
      // The Orthanc study left alone with its UID is the study now.
      for (const study of remaining) await this.#record(trx, study);
    });
    this.#log.info({ orthancIds: gone }, 'conflicting Orthanc studies deleted: conflicts settled');
  }

  async #registryHasMoreThanOrthanc(): Promise<boolean> {
    const orthancCount = await this.#source.studyCount();
    const { count } = await this.#db
      .selectFrom('studies')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('orthanc_id', 'is not', null)
      .executeTakeFirstOrThrow();
    return Number(count) > orthancCount;
  }

  /**
   * A reconcile run by this process alone (the admin CLI): takes the lease if no gate holds it,
   * reconciles, gives the lease back. Undefined when a gate holds the lease (then ask it with
   * requestReconcile).
   */
  async reconcileExclusive(onProgress?: (progress: { done: number; total: number | null }) => void): Promise<number | undefined> {
    const position = await this.#acquireLease();
    if (position === undefined) return undefined;
    try {
      return await this.reconcile(onProgress);
    } finally {
      await this.#releaseLease().catch(() => undefined);
    }
  }

  /**
   * Records these Orthanc studies now, as the worker would at their StableStudy change, when no
   * gate follows Orthanc (the admin CLI's import, so it never waits for a sync that is not
   * running): takes the lease if no gate holds it, records, gives the lease back. The feed
   * position is left alone; the next follower applies those changes again, which is harmless.
   * Undefined when a gate holds the lease (it records them itself); otherwise why each study left
   * out was left out, by Orthanc ID (a study Orthanc no longer has among them).
   */
  async recordExclusive(orthancIds: readonly string[]): Promise<Map<string, string> | undefined> {
    const position = await this.#acquireLease();
    if (position === undefined) return undefined;
    try {
      const studies: OrthancStudy[] = [];
      const left = new Map<string, string>();
      for (const id of orthancIds) {
        const study = await this.#source.study(id);
        if (study === undefined) left.set(id, GONE_REASON);
        else studies.push(study);
      }
      await this.#db.transaction().execute(async (trx) => {
        await this.#assertLease(trx);
        for (const study of studies) {
          const reason = await this.#record(trx, study);
          if (reason !== undefined) left.set(study.orthancId, reason);
        }
      });
      return left;
    } finally {
      await this.#releaseLease().catch(() => undefined);
    }
  }

  async #apply(batch: OrthancChanges, from: number): Promise<void> {
    // Only the last word about each study counts: stable, or deleted.
    const latest = new Map<string, 'upsert' | 'delete'>();
    for (const change of batch.changes) {
      if (change.resourceType !== 'Study') continue;
      if (STUDY_UPSERT_CHANGES.has(change.changeType)) latest.set(change.id, 'upsert');
      else if (change.changeType === 'Deleted') latest.set(change.id, 'delete');
    }
    const upserts: OrthancStudy[] = [];
    const deletes: string[] = [];
    for (const [id, action] of latest) {
      const study = action === 'upsert' ? await this.#source.study(id) : undefined;
      if (study === undefined) deletes.push(id);
      else upserts.push(study);
    }
    if (batch.last === from && upserts.length === 0 && deletes.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      await this.#assertLease(trx);
      for (const study of upserts) await this.#record(trx, study);
      if (deletes.length > 0) {
        await trx.deleteFrom('studies').where('orthanc_id', 'in', deletes).execute();
        await removeConflicts(trx, deletes);
      }
      await this.#savePosition(trx, batch.last);
    });
    if (upserts.length > 0 || deletes.length > 0) {
      this.#log.info({ recorded: upserts.length, removed: deletes.length, position: batch.last }, 'registry follows Orthanc');
    }
  }

  /** Records one study; returns why it was left out, if it was. */
  async #record(trx: Kysely<Database>, study: OrthancStudy): Promise<string | undefined> {
    const unrecordable = unrecordableReason(study);
    if (unrecordable !== undefined) {
      this.#log.warn({ orthancId: study.orthancId, studyInstanceUid: study.studyInstanceUid, reason: unrecordable }, 'study not recorded');
      return unrecordable;
    }
    if (await this.#conflicts(trx, study)) return CONFLICT_REASON;
    try {
      await upsertImportedStudy(trx, {
        studyInstanceUid: study.studyInstanceUid,
        patient: { patientId: study.patientId as string, issuerOfPatientId: study.issuerOfPatientId, name: study.patientName, birthDate: study.patientBirthDate, sex: study.patientSex },
        accessionNumber: study.accessionNumber,
        modalities: study.modalities,
        studyDate: study.studyDate,
        studyTime: study.studyTime,
        description: study.description,
        numberOfSeries: study.numberOfSeries,
        numberOfInstances: study.numberOfInstances,
        orthancId: study.orthancId,
        referringPhysicianName: study.referringPhysicianName,
      }, { now: this.#now() });
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      this.#log.warn({ orthancId: study.orthancId, studyInstanceUid: study.studyInstanceUid, reason: error.message }, 'study not recorded');
      return error.message;
    }
    return undefined;
  }

  /**
   * A StudyInstanceUID Orthanc holds under two patients is two Orthanc studies (Orthanc's study id
   * hashes the PatientID with the UID). Filing the study under the newer one would hand one
   * patient's images to the other's account, so neither is: both are recorded as a conflict, the
   * registry row stays as it was, and the gate refuses the study (STUDY_CONFLICT) until IT
   * resolves it in the PACS. A UID whose earlier Orthanc study is gone simply moves.
   */
  async #conflicts(trx: Kysely<Database>, study: OrthancStudy): Promise<boolean> {
    const held = await trx
      .selectFrom('studies')
      .innerJoin('patients', 'patients.id', 'studies.patient_id')
      .select(['studies.orthanc_id', 'patients.patient_id', 'patients.issuer_of_patient_id'])
      .where('studies.study_instance_uid', '=', study.studyInstanceUid)
      .executeTakeFirst();
    const known = await trx.selectFrom('study_conflicts').select('orthanc_id').where('study_instance_uid', '=', study.studyInstanceUid).execute();
    const heldId = held?.orthanc_id ?? null;
    if (heldId === null || heldId === study.orthancId) {
      if (known.length === 0) return false;
      // Already a conflict: this study's record stays out of the registry's row as well.
    } else if (known.length === 0 && (await this.#source.study(heldId)) === undefined) {
      return false;
    }
    const detectedAt = this.#now().toISOString();
    const rows = [
      ...(held !== undefined && heldId !== null ? [{ study_instance_uid: study.studyInstanceUid, orthanc_id: heldId, patient_id: held.patient_id, issuer_of_patient_id: held.issuer_of_patient_id, detected_at: detectedAt }] : []),
      { study_instance_uid: study.studyInstanceUid, orthanc_id: study.orthancId, patient_id: study.patientId, issuer_of_patient_id: study.issuerOfPatientId, detected_at: detectedAt },
    ];
    for (const row of rows) await trx.insertInto('study_conflicts').values(row).onConflict((conflict) => conflict.columns(['study_instance_uid', 'orthanc_id']).doNothing()).execute();
    const count = await trx.selectFrom('study_conflicts').select('orthanc_id').where('study_instance_uid', '=', study.studyInstanceUid).execute();
    if (count.length < 2) {
      // One Orthanc study only after all (the other is gone): no conflict.
      await trx.deleteFrom('study_conflicts').where('study_instance_uid', '=', study.studyInstanceUid).execute();
      return false;
    }
    this.#log.warn({ studyInstanceUid: study.studyInstanceUid, orthancIds: count.map((row) => row.orthanc_id) }, 'StudyInstanceUID held by Orthanc under more than one patient: recorded as a conflict');
    return true;
  }

  #succeeded(lastSeq: number, orthancLastSeq: number | null): void {
    this.#status.lastSeq = lastSeq;
    if (orthancLastSeq !== null) this.#status.orthancLastSeq = orthancLastSeq;
    this.#status.behind = Math.max(0, (this.#status.orthancLastSeq ?? lastSeq) - lastSeq);
    this.#status.lastError = null;
    this.#status.consecutiveFailures = 0;
    this.#status.lastSuccessAt = this.#now().toISOString();
  }

  /** Takes the lease if free or expired, renews it if ours; returns the position, or undefined when another holds it. */
  async #acquireLease(): Promise<{ lastSeq: number | null } | undefined> {
    if (!(await this.#lease.acquire(this.#db))) return undefined;
    const row = await this.#db.selectFrom('registry_sync').select('last_seq').where('source', '=', SYNC_SOURCE).executeTakeFirstOrThrow();
    return { lastSeq: toSeq(row.last_seq) };
  }

  async #assertLease(trx: Kysely<Database>): Promise<void> {
    try {
      await this.#lease.assertHeld(trx);
    } catch (error) {
      this.#status.leader = false;
      throw error;
    }
  }

  async #savePosition(trx: Kysely<Database>, lastSeq: number, extra: { reconciled_at?: string } = {}): Promise<void> {
    const result = await trx
      .updateTable('registry_sync')
      .set({ last_seq: lastSeq, updated_at: this.#now().toISOString(), ...extra })
      .where('source', '=', SYNC_SOURCE)
      .where('lease_owner', '=', this.#lease.owner)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new LeaseLost('another gate took over the registry sync');
  }

  async #releaseLease(): Promise<void> {
    await this.#lease.release(this.#db);
    this.#status.leader = false;
  }
}

/** Forgets conflict rows of Orthanc studies that are gone, and conflicts left with one study. */
async function removeConflicts(trx: Kysely<Database>, goneOrthancIds: readonly string[]): Promise<void> {
  for (let i = 0; i < goneOrthancIds.length; i += 500) {
    await trx.deleteFrom('study_conflicts').where('orthanc_id', 'in', goneOrthancIds.slice(i, i + 500)).execute();
  }
  if (goneOrthancIds.length === 0) return;
  const single = trx.selectFrom('study_conflicts').select('study_instance_uid').groupBy('study_instance_uid').having((eb) => eb.fn.countAll(), '<', 2);
  await trx.deleteFrom('study_conflicts').where('study_instance_uid', 'in', single).execute();
}

export interface StudyConflict {
  studyInstanceUid: string;
  /** Each Orthanc study holding the UID, with the patient it is filed under. */
  holders: Array<{ orthancId: string; patientId: string | null; issuerOfPatientId: string | null }>;
  detectedAt: string;
}

/** StudyInstanceUIDs Orthanc holds under more than one patient (for `registry conflicts`). */
export async function listStudyConflicts(db: RsDatabase): Promise<StudyConflict[]> {
  const rows = await db.selectFrom('study_conflicts').selectAll().orderBy('study_instance_uid').orderBy('orthanc_id').execute();
  const byUid = new Map<string, StudyConflict>();
  for (const row of rows) {
    const conflict = byUid.get(row.study_instance_uid) ?? { studyInstanceUid: row.study_instance_uid, holders: [], detectedAt: row.detected_at };
    conflict.holders.push({ orthancId: row.orthanc_id, patientId: row.patient_id, issuerOfPatientId: row.issuer_of_patient_id });
    if (row.detected_at < conflict.detectedAt) conflict.detectedAt = row.detected_at;
    byUid.set(row.study_instance_uid, conflict);
  }
  return [...byUid.values()];
}

/** The registry's position in Orthanc's feed as stored (for the CLI and readiness). */
export async function readSyncPosition(db: RsDatabase): Promise<{ lastSeq: number | null; reconciledAt: string | null; leaseOwner: string | null; leaseExpiresAt: string | null } | undefined> {
  const row = await db.selectFrom('registry_sync').selectAll().where('source', '=', SYNC_SOURCE).executeTakeFirst();
  return row === undefined
    ? undefined
    : { lastSeq: toSeq(row.last_seq), reconciledAt: row.reconciled_at, leaseOwner: row.lease_owner, leaseExpiresAt: row.lease_expires_at };
}

/** Forgets the stored position, so whichever gate holds the lease reconciles at its next step. */
export async function requestReconcile(db: RsDatabase): Promise<void> {
  await db.updateTable('registry_sync').set({ last_seq: null }).where('source', '=', SYNC_SOURCE).execute();
}
