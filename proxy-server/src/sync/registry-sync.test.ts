import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrthancChange, OrthancChanges, OrthancStudy } from '../orthanc/orthanc-client.ts';
import { OrthancError } from '../orthanc/orthanc-client.ts';
import { findPatientByPatientId } from '../patients/patient-repository.ts';
import { findStudyByUid } from '../studies/study-repository.ts';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { listStudyConflicts, readSyncPosition, RegistrySync, requestReconcile, type RegistrySource } from './registry-sync.ts';

/** An Orthanc as the worker sees it: studies, and a changes feed that may forget its oldest entries. */
class FakeOrthanc implements RegistrySource {
  readonly studies = new Map<string, OrthancStudy>();
  feed: OrthancChange[] = [];
  #seq = 0;
  down = false;
  studyReads = 0;

  add(uid: string, patientId: string | null, patientName = 'DOE^JANE', id = `orthanc-${uid}`, issuerOfPatientId: string | null = null): string {
    this.studies.set(id, {
      orthancId: id,
      // Orthanc's patient is the PatientID alone: two issuers' patients are one Orthanc patient.
      orthancPatientId: `p-${patientId}`,
      studyInstanceUid: uid,
      patientId,
      issuerOfPatientId,
      patientName,
      patientBirthDate: null,
      patientSex: null,
      accessionNumber: null,
      studyDate: '20250101',
      studyTime: null,
      description: `study ${uid}`,
      referringPhysicianName: null,
      modalities: ['CT'],
      numberOfSeries: 1,
      numberOfInstances: 2,
    });
    this.#change('NewStudy', 'Study', id);
    this.#change('NewInstance', 'Instance', `${id}-i1`);
    this.#change('StableStudy', 'Study', id);
    return id;
  }

  /** As Orthanc deletes: the study's own changes go with it, and nothing is logged for the deletion. */
  remove(id: string): void {
    this.studies.delete(id);
    this.feed = this.feed.filter((change) => !change.id.startsWith(id));
  }

  /** Orthanc's MaximumChangesHistory: only the newest `keep` changes remain. */
  forgetAllBut(keep: number): void {
    this.feed = this.feed.slice(-keep);
  }

  #change(changeType: string, resourceType: string, id: string): void {
    this.#seq += 1;
    this.feed.push({ changeType, resourceType, id, seq: this.#seq });
  }

  #check(): void {
    if (this.down) throw new OrthancError('cannot reach Orthanc at http://127.0.0.1:1: connection refused');
  }

  async changes(since: number, limit: number): Promise<OrthancChanges> {
    this.#check();
    const changes = this.feed.filter((change) => change.seq > since).slice(0, limit);
    const done = changes.length < limit || changes.at(-1)?.seq === this.#seq;
    return { changes, done, last: done ? this.#seq : (changes.at(-1)?.seq ?? since) };
  }

  async lastChange(): Promise<number> {
    this.#check();
    return this.#seq;
  }

  async studyIds(since: number, limit: number): Promise<string[]> {
    this.#check();
    return [...this.studies.keys()].slice(since, since + limit);
  }

  async studyCount(): Promise<number> {
    this.#check();
    return this.studies.size;
  }

  async study(id: string): Promise<OrthancStudy | undefined> {
    this.#check();
    this.studyReads += 1;
    return this.studies.get(id);
  }
}

let temp: TempDatabase;
let orthanc: FakeOrthanc;

beforeEach(async () => {
  temp = await createTempDatabase();
  orthanc = new FakeOrthanc();
});

afterEach(async () => {
  await temp.dispose();
});

async function drain(sync: RegistrySync): Promise<void> {
  for (let i = 0; i < 100; i++) if ((await sync.step()) !== 'more') return;
  throw new Error('the feed did not drain');
}

async function registryUids(): Promise<string[]> {
  return (await temp.db.selectFrom('studies').select('study_instance_uid').orderBy('study_instance_uid').execute()).map((row) => row.study_instance_uid);
}

describe('the registry sync', () => {
  it('loads what Orthanc already holds, then follows stable and deleted studies', async () => {
    orthanc.add('1.1', 'P1');
    orthanc.add('1.2', 'P2');
    const sync = new RegistrySync({ db: temp.db, source: orthanc, batchSize: 2 });
    await drain(sync);
    expect(await registryUids()).toEqual(['1.1', '1.2']);

    const third = orthanc.add('1.3', 'P3', 'Wang^XiaoDong=王^小東=');
    orthanc.remove('orthanc-1.1');
    await drain(sync);
    expect(await registryUids()).toEqual(['1.2', '1.3']);
    expect((await findPatientByPatientId(temp.db, 'P3'))?.name).toBe('Wang^XiaoDong=王^小東=');
    expect((await findStudyByUid(temp.db, '1.3'))?.orthancId).toBe(third);
    expect(sync.status()).toMatchObject({ leader: true, behind: 0, lastError: null });
    expect((await readSyncPosition(temp.db))?.lastSeq).toBe(await orthanc.lastChange());
  });

  it('records each study under the patient of its own PatientID and issuer: never merged, never dropped', async () => {
    orthanc.add('1.1', 'MRN-1', 'DOE^JANE', 'orthanc-a', 'HOSP-A');
    orthanc.add('1.2', 'MRN-1', 'ROE^RICHARD', 'orthanc-b', 'HOSP-B');
    orthanc.add('1.3', 'MRN-1', 'POE^EDGAR', 'orthanc-none', null);
    orthanc.add('1.4', 'MRN-1', 'DOE^JANE', 'orthanc-a2', 'HOSP-A');
    const sync = new RegistrySync({ db: temp.db, source: orthanc });
    await drain(sync);
    expect(await registryUids()).toEqual(['1.1', '1.2', '1.3', '1.4']);
    const a = await findPatientByPatientId(temp.db, 'MRN-1', 'HOSP-A');
    const b = await findPatientByPatientId(temp.db, 'MRN-1', 'HOSP-B');
    const none = await findPatientByPatientId(temp.db, 'MRN-1');
    expect([a?.name, b?.name, none?.name]).toEqual(['DOE^JANE', 'ROE^RICHARD', 'POE^EDGAR']);
    const filedUnder = async (uid: string) => (await findStudyByUid(temp.db, uid))?.patientRecordId;
    expect([await filedUnder('1.1'), await filedUnder('1.2'), await filedUnder('1.3'), await filedUnder('1.4')]).toEqual([a?.id, b?.id, none?.id, a?.id]);
    expect(new Set([a?.id, b?.id, none?.id]).size).toBe(3);

    orthanc.remove('orthanc-b');
    await drain(sync);
    expect(await registryUids()).toEqual(['1.1', '1.3', '1.4']);
    expect(sync.status()).toMatchObject({ lastError: null });
  });

  it('removes a study deleted after it was recorded, although the feed says nothing about it', async () => {
    const sync = new RegistrySync({ db: temp.db, source: orthanc });
    const first = orthanc.add('1.1', 'P1');
    orthanc.add('1.2', 'P2');
    await drain(sync);
    const position = await orthanc.lastChange();
    orthanc.remove(first);
    expect(await orthanc.lastChange()).toBe(position);
    await drain(sync);
    expect(await registryUids()).toEqual(['1.2']);
  });

  it('resumes from the stored position after a restart, without reading old studies again', async () => {
    orthanc.add('1.1', 'P1');
    const first = new RegistrySync({ db: temp.db, source: orthanc });
    await drain(first);
    await first.stop();
    orthanc.add('1.2', 'P2');
    const readsBefore = orthanc.studyReads;
    const second = new RegistrySync({ db: temp.db, source: orthanc });
    await drain(second);
    expect(orthanc.studyReads - readsBefore).toBe(1);
    expect(await registryUids()).toEqual(['1.1', '1.2']);
  });

  it('lets one gate follow at a time; another takes over when the lease expires', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const clock = () => now;
    const a = new RegistrySync({ db: temp.db, source: orthanc, owner: 'gate-a', leaseMs: 30_000, now: clock });
    const b = new RegistrySync({ db: temp.db, source: orthanc, owner: 'gate-b', leaseMs: 30_000, now: clock });
    orthanc.add('1.1', 'P1');
    expect(await a.step()).toBe('idle');
    expect(await b.step()).toBe('standby');
    expect(b.status().leader).toBe(false);
    now = new Date(now.getTime() + 31_000);
    orthanc.add('1.2', 'P2');
    expect(await b.step()).toBe('idle');
    expect(await registryUids()).toEqual(['1.1', '1.2']);
    // gate-a's next write would be under a lease it no longer holds.
    expect(await a.step()).toBe('standby');
  });

  it('reconciles when Orthanc no longer keeps the changes after the stored position', async () => {
    const sync = new RegistrySync({ db: temp.db, source: orthanc });
    orthanc.add('1.1', 'P1');
    await drain(sync);
    const gone = orthanc.add('1.2', 'P2');
    orthanc.add('1.3', 'P3');
    orthanc.studies.delete(gone); // deleted, and the Deleted change itself forgotten
    orthanc.forgetAllBut(1);
    await drain(sync);
    expect(await registryUids()).toEqual(['1.1', '1.3']);
    expect((await readSyncPosition(temp.db))?.reconciledAt).not.toBeNull();
  });

  it('keeps its position while Orthanc is down and reports why', async () => {
    const sync = new RegistrySync({ db: temp.db, source: orthanc });
    orthanc.add('1.1', 'P1');
    await drain(sync);
    const position = (await readSyncPosition(temp.db))?.lastSeq;
    orthanc.down = true;
    await expect(sync.step()).rejects.toThrow(/connection refused/);
    expect((await readSyncPosition(temp.db))?.lastSeq).toBe(position);
    orthanc.down = false;
    orthanc.add('1.2', 'P2');
    await drain(sync);
    expect(await registryUids()).toEqual(['1.1', '1.2']);
  });

  it('skips a study without PatientID and goes on', async () => {
    const sync = new RegistrySync({ db: temp.db, source: orthanc });
    orthanc.add('1.1', null);
    orthanc.add('1.2', 'P2');
    await drain(sync);
    expect(await registryUids()).toEqual(['1.2']);
  });

  it('reconciles from the admin CLI when no gate follows, and asks the following gate otherwise', async () => {
    orthanc.add('1.1', 'P1');
    const cli = new RegistrySync({ db: temp.db, source: orthanc, owner: 'admin-cli' });
    const progress: number[] = [];
    expect(await cli.reconcileExclusive(({ done }) => progress.push(done))).toBe(await orthanc.lastChange());
    expect(progress.at(-1)).toBe(1);
    expect(await registryUids()).toEqual(['1.1']);

    const gate = new RegistrySync({ db: temp.db, source: orthanc, owner: 'gate' });
    await drain(gate);
    expect(await cli.reconcileExclusive()).toBeUndefined();
    const before = (await readSyncPosition(temp.db))?.reconciledAt;
    await requestReconcile(temp.db);
    await drain(gate);
    expect((await readSyncPosition(temp.db))?.reconciledAt).not.toBe(before);
  });
});

describe('a StudyInstanceUID under two patients', () => {
  it('is recorded as a conflict and never moves the study to the second patient; resolved when one is deleted', async () => {
    const sync = new RegistrySync({ db: temp.db, source: orthanc });
    const first = orthanc.add('1.7', 'P1');
    await drain(sync);
    const recorded = await findStudyByUid(temp.db, '1.7');
    const second = orthanc.add('1.7', 'P2', 'OTHER^PATIENT', 'orthanc-1.7-of-P2');
    await drain(sync);
    // Still filed under the first patient: the second patient's account gets nothing of it.
    expect(await findStudyByUid(temp.db, '1.7')).toEqual(recorded);
    expect(await listStudyConflicts(temp.db)).toEqual([
      {
        studyInstanceUid: '1.7',
        holders: [
          { orthancId: first, patientId: 'P1', issuerOfPatientId: null },
          { orthancId: second, patientId: 'P2', issuerOfPatientId: null },
        ],
        detectedAt: expect.any(String),
      },
    ]);
    // A reconcile finds it again rather than settling it.
    await requestReconcile(temp.db);
    await drain(sync);
    expect(await listStudyConflicts(temp.db)).toHaveLength(1);

    orthanc.remove(second);
    await drain(sync);
    expect(await listStudyConflicts(temp.db)).toEqual([]);
    expect((await findStudyByUid(temp.db, '1.7'))?.orthancId).toBe(first);
  });

  it('settles on the other patient when IT deletes the first one', async () => {
    const sync = new RegistrySync({ db: temp.db, source: orthanc });
    const first = orthanc.add('1.9', 'P1');
    await drain(sync);
    const second = orthanc.add('1.9', 'P2', 'OTHER^PATIENT', 'orthanc-1.9-of-P2');
    await drain(sync);
    expect(await listStudyConflicts(temp.db)).toHaveLength(1);
    orthanc.remove(first);
    await drain(sync);
    expect(await listStudyConflicts(temp.db)).toEqual([]);
    expect((await findStudyByUid(temp.db, '1.9'))?.orthancId).toBe(second);
    expect((await findPatientByPatientId(temp.db, 'P2'))?.id).toBe((await findStudyByUid(temp.db, '1.9'))?.patientRecordId);
  });

  it('is no conflict when the earlier Orthanc study is gone: the UID moves', async () => {
    const sync = new RegistrySync({ db: temp.db, source: orthanc });
    const first = orthanc.add('1.8', 'P1');
    await drain(sync);
    orthanc.studies.delete(first);
    const second = orthanc.add('1.8', 'P2', 'OTHER^PATIENT', 'orthanc-1.8-of-P2');
    await drain(sync);
    expect(await listStudyConflicts(temp.db)).toEqual([]);
    expect((await findStudyByUid(temp.db, '1.8'))?.orthancId).toBe(second);
  });
});

describe('pruning while Orthanc deletes', () => {
  it('keeps a study the paged listing missed (pages shift as studies go) when Orthanc still has it', async () => {
    const sync = new RegistrySync({ db: temp.db, source: orthanc });
    orthanc.add('2.1', 'P1');
    const missed = orthanc.add('2.2', 'P2');
    const deleted = orthanc.add('2.3', 'P3');
    await drain(sync);
    orthanc.remove(deleted);
    // As offset paging over a list that shrinks while it is read can: one present study skipped.
    const listing = orthanc.studyIds.bind(orthanc);
    orthanc.studyIds = async (since, limit) => (await listing(since, limit)).filter((id) => id !== missed);
    await sync.prune();
    expect(await registryUids()).toEqual(['2.1', '2.2']);
  });
});
