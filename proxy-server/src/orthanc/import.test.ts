import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPatientByPatientId } from '../patients/patient-repository.ts';
import { findStudyByUid } from '../studies/study-repository.ts';
import { CONFLICT_REASON, GONE_REASON, RegistrySync, SYNC_SOURCE } from '../sync/registry-sync.ts';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { awaitRegistry, uploadFiles } from './import.ts';
import { OrthancError, type OrthancStudy, type StoredInstance } from './orthanc-client.ts';

let temp: TempDatabase;

beforeEach(async () => {
  temp = await createTempDatabase();
});

afterEach(async () => {
  await temp.dispose();
});

function write(name: string, content: string): string {
  const file = path.join(temp.dir, 'incoming', name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** Orthanc's POST /instances as the uploader sees it: the file's text says what Orthanc answers. */
class FakeStore {
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;

  async storeInstance(bytes: Uint8Array): Promise<StoredInstance> {
    this.calls += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight -= 1;
    const [answer, study] = Buffer.from(bytes).toString('utf8').split(' ');
    if (answer === 'refuse') throw new OrthancError('Orthanc answered HTTP 400 (Bad file format: Cannot parse an invalid DICOM file (size: 5 bytes))', 400);
    if (answer === 'bare') throw new OrthancError('Orthanc answered HTTP 404 (Not Found)', 404);
    if (answer === 'opaque') throw new OrthancError('Orthanc answered HTTP 400 (Bad Request)', 400);
    if (answer === 'unauthorized') throw new OrthancError('Orthanc refused the credentials of user "importer" (HTTP 401)', 401);
    if (answer === 'down') throw new OrthancError('cannot reach Orthanc at http://127.0.0.1:1: connection refused');
    return { status: answer === 'again' ? 'AlreadyStored' : 'Success', instanceId: `i-${this.calls}`, studyId: study ?? 'none' };
  }
}

describe('uploadFiles', () => {
  it("sends every file, a few at a time, and lists each refusal with Orthanc's reason", async () => {
    const files = [
      write('a/1.dcm', 'store s1'),
      write('a/2.dcm', 'again s1'),
      write('b/1.dcm', 'store s2'),
      write('readme.txt', 'refuse'),
      ...Array.from({ length: 8 }, (_, n) => write(`c/${n}.dcm`, 'store s3')),
    ];
    const missing = path.join(temp.dir, 'incoming', 'gone.dcm');
    const store = new FakeStore();
    const progress: Array<{ done: number; total: number; outcome: string }> = [];
    const summary = await uploadFiles({ files: [...files, missing], orthanc: store, concurrency: 3, onProgress: ({ done, total, outcome }) => progress.push({ done, total, outcome }) });
    expect(summary).toEqual({
      files: 13,
      stored: 10,
      alreadyStored: 1,
      rejected: [
        { file: files[3], reason: 'Orthanc answered HTTP 400 (Bad file format: Cannot parse an invalid DICOM file (size: 5 bytes))' },
        { file: missing, reason: 'no such file' },
      ],
      studies: new Map([
        ['s1', [files[0], files[1]]],
        ['s2', [files[2]]],
        ['s3', files.slice(4)],
      ]),
    });
    expect(store.maxInFlight).toBe(3);
    expect(progress.map(({ done }) => done)).toEqual(Array.from({ length: 13 }, (_, n) => n + 1));
    expect(progress.every(({ total }) => total === 13)).toBe(true);
    expect(progress.filter(({ outcome }) => outcome === 'rejected')).toHaveLength(2);
    expect(progress.filter(({ outcome }) => outcome === 'already_stored')).toHaveLength(1);
  });

  it("explains Orthanc's refusals when Orthanc sends its status line alone (HttpDescribeErrors off)", async () => {
    const files = [write('DICOMDIR', 'bare'), write('notes.txt', 'opaque'), write('x.dcm', 'refuse')];
    const summary = await uploadFiles({ files, orthanc: new FakeStore(), concurrency: 1 });
    expect(summary.rejected.map(({ reason }) => reason)).toEqual([
      'Orthanc answered HTTP 404 (Not Found): none of the tags Orthanc files an instance under (PatientID, StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID) is present: a DICOMDIR or a bare data set',
      'Orthanc answered HTTP 400 (Bad Request): Bad file format: Orthanc cannot parse it as DICOM',
      // Orthanc's own words when it gives them.
      'Orthanc answered HTTP 400 (Bad file format: Cannot parse an invalid DICOM file (size: 5 bytes))',
    ]);
  });

  it.each([
    ['refuses the credentials', 'unauthorized', 'Orthanc refused the credentials of user "importer" (HTTP 401)'],
    ['cannot be reached', 'down', 'cannot reach Orthanc at http://127.0.0.1:1: connection refused'],
  ])('stops when Orthanc %s: every other file would fail the same way', async (_what, answer, message) => {
    const files = [write('1.dcm', 'store s1'), write('2.dcm', answer), ...Array.from({ length: 20 }, (_, n) => write(`x${n}.dcm`, 'store s1'))];
    const store = new FakeStore();
    await expect(uploadFiles({ files, orthanc: store, concurrency: 2 })).rejects.toThrow(message);
    expect(store.calls).toBeLessThan(5);
  });
});

function orthancStudy(orthancId: string, overrides: Partial<OrthancStudy> = {}): OrthancStudy {
  return {
    orthancId,
    orthancPatientId: 'p-1',
    studyInstanceUid: `1.2.826.0.1.3680043.8.498.${orthancId.replace(/\D/g, '') || '9'}`,
    patientId: 'P-1',
    issuerOfPatientId: null,
    patientName: 'DOE^JANE=ドウ^ジェーン',
    patientBirthDate: '19800101',
    patientSex: 'F',
    accessionNumber: 'ACC-1',
    studyDate: '20261127',
    studyTime: '093000',
    description: 'CT chest',
    referringPhysicianName: null,
    modalities: ['CT'],
    numberOfSeries: 1,
    numberOfInstances: 2,
    ...overrides,
  };
}

/** Orthanc's GET /studies/{id} (the studies it holds) and the sync's source around it. */
class FakeOrthanc {
  readonly studies = new Map<string, OrthancStudy>();

  async study(id: string): Promise<OrthancStudy | undefined> {
    return this.studies.get(id);
  }
  async changes() {
    return { changes: [], done: true, last: 0 };
  }
  async lastChange() {
    return 0;
  }
  async studyIds() {
    return [...this.studies.keys()];
  }
  async studyCount() {
    return this.studies.size;
  }
}

/** A sync whose lease a gate holds: the gate records, never this process. */
const gateHoldsTheLease = { recordExclusive: async () => undefined };

/** Records a study as the gate does (the sync's own code), with the instances Orthanc holds of it then. */
async function recordAsTheGate(study: OrthancStudy, instances = study.numberOfInstances): Promise<void> {
  const orthanc = new FakeOrthanc();
  orthanc.studies.set(study.orthancId, { ...study, numberOfInstances: instances });
  expect(await new RegistrySync({ db: temp.db, source: orthanc, owner: 'the-gate' }).recordExclusive([study.orthancId])).toEqual(new Map());
}

describe('awaitRegistry', () => {
  it('waits until the gate has recorded each study with every instance Orthanc holds', async () => {
    const orthanc = new FakeOrthanc();
    const one = orthancStudy('o1', { numberOfInstances: 3 });
    const two = orthancStudy('o2');
    orthanc.studies.set('o1', one).set('o2', two);
    // o1 is in the registry already, from an earlier import with fewer instances: not enough.
    await recordAsTheGate(one, 1);
    const progress: number[] = [];
    const waiting = awaitRegistry({
      db: temp.db,
      orthanc,
      sync: gateHoldsTheLease,
      studies: new Map([['o1', ['a']], ['o2', ['b', 'c']]]),
      timeoutMs: 10_000,
      pollMs: 20,
      onProgress: ({ settled }) => progress.push(settled),
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await recordAsTheGate(two);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(progress.at(-1)).toBe(1);
    await recordAsTheGate(one);
    const outcome = await waiting;
    expect(outcome).toEqual({
      recorded: [
        { orthancId: 'o2', studyInstanceUid: two.studyInstanceUid, patientId: 'P-1', files: ['b', 'c'] },
        { orthancId: 'o1', studyInstanceUid: one.studyInstanceUid, patientId: 'P-1', files: ['a'] },
      ],
      notRecorded: [],
      pending: [],
      recordedHere: false,
    });
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(2);
  });

  it('says at once why a study will not be recorded: no or an invalid PatientID, gone from Orthanc, a UID conflict', async () => {
    const orthanc = new FakeOrthanc();
    orthanc.studies.set('o1', orthancStudy('o1', { patientId: null })).set('o2', orthancStudy('o2', { patientId: 'A\\B' })).set('o4', orthancStudy('o4'));
    await temp.db
      .insertInto('study_conflicts')
      .values([
        { study_instance_uid: orthancStudy('o4').studyInstanceUid, orthanc_id: 'o4', patient_id: 'P-1', issuer_of_patient_id: null, detected_at: new Date().toISOString() },
        { study_instance_uid: orthancStudy('o4').studyInstanceUid, orthanc_id: 'o5', patient_id: 'P-2', issuer_of_patient_id: null, detected_at: new Date().toISOString() },
      ])
      .execute();
    const started = Date.now();
    const outcome = await awaitRegistry({ db: temp.db, orthanc, sync: gateHoldsTheLease, studies: new Map([['o1', ['a']], ['o2', ['b']], ['o3', ['c']], ['o4', ['d']]]), timeoutMs: 30_000, pollMs: 20 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(outcome.recorded).toEqual([]);
    expect(outcome.pending).toEqual([]);
    expect(outcome.notRecorded.map(({ orthancId, reason }) => [orthancId, reason])).toEqual([
      ['o1', 'no PatientID: the registry files every study under its patient'],
      ['o2', 'invalid PatientID "A\\\\B": expected 1-64 characters without "\\" or control characters'],
      ['o3', GONE_REASON],
      ['o4', CONFLICT_REASON],
    ]);
  });

  it('gives up after the timeout and returns what is still missing', async () => {
    const orthanc = new FakeOrthanc();
    orthanc.studies.set('o1', orthancStudy('o1'));
    const started = Date.now();
    const outcome = await awaitRegistry({ db: temp.db, orthanc, sync: gateHoldsTheLease, studies: new Map([['o1', ['a']]]), timeoutMs: 300, pollMs: 20 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(outcome.pending).toEqual([{ orthancId: 'o1', studyInstanceUid: orthancStudy('o1').studyInstanceUid, files: ['a'], reason: 'not in the registry yet' }]);
  });

  it("records the studies with the sync's own code when no gate holds the lease, and gives the lease back", async () => {
    const orthanc = new FakeOrthanc();
    const study = orthancStudy('o1');
    orthanc.studies.set('o1', study);
    const sync = new RegistrySync({ db: temp.db, source: orthanc, owner: 'admin-cli' });
    const outcome = await awaitRegistry({ db: temp.db, orthanc, sync, studies: new Map([['o1', ['a']]]), timeoutMs: 5_000, pollMs: 20 });
    expect(outcome).toMatchObject({ recordedHere: true, notRecorded: [], pending: [], recorded: [{ orthancId: 'o1' }] });
    expect(await findStudyByUid(temp.db, study.studyInstanceUid)).toMatchObject({ orthancId: 'o1', accessionNumber: 'ACC-1', numberOfInstances: 2, modalities: ['CT'] });
    expect(await findPatientByPatientId(temp.db, 'P-1')).toMatchObject({ name: 'DOE^JANE=ドウ^ジェーン' });
    const lease = await temp.db.selectFrom('registry_sync').select(['lease_owner', 'last_seq']).where('source', '=', SYNC_SOURCE).executeTakeFirstOrThrow();
    // Lease given back; the feed position untouched, so the next gate reconciles as it would have.
    expect(lease).toEqual({ lease_owner: null, last_seq: null });
  });

  it('takes over from a gate whose lease ran out (killed, never renewed)', async () => {
    const orthanc = new FakeOrthanc();
    orthanc.studies.set('o1', orthancStudy('o1'));
    await temp.db
      .insertInto('registry_sync')
      .values({ source: SYNC_SOURCE, last_seq: 5, updated_at: new Date().toISOString(), lease_owner: 'dead-gate', lease_expires_at: new Date(Date.now() + 200).toISOString() })
      .execute();
    const sync = new RegistrySync({ db: temp.db, source: orthanc, owner: 'admin-cli' });
    const outcome = await awaitRegistry({ db: temp.db, orthanc, sync, studies: new Map([['o1', ['a']]]), timeoutMs: 5_000, pollMs: 50 });
    expect(outcome).toMatchObject({ recordedHere: true, recorded: [{ orthancId: 'o1' }], pending: [] });
  });
});
