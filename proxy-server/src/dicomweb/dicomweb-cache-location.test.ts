import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignStudy, upsertImportedStudy } from '../studies/study-repository.ts';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { createUser, type User } from '../users/user-repository.ts';
import { MAX_CACHED_SEARCH_STUDIES, decideDicomWebRequest, type RevisionLookup } from './dicomweb-gate.ts';

// Which answers the gate sends to nginx's cached location, and under which revision
// (docs/operations.md, "The DICOMweb cache"). The cache key is the location built here.

const STUDY_A = '1.2.826.0.1.3680043.8.498.10';
const STUDY_B = '1.2.826.0.1.3680043.8.498.20';
const NO_ORTHANC_ID = '1.2.826.0.1.3680043.8.498.30';
const SERIES = '1.2.826.0.1.3680043.8.498.11';
const INSTANCE = '1.2.826.0.1.3680043.8.498.12';

let temp: TempDatabase;
const users: Record<string, User> = {};

/** Revisions by Orthanc ID, as StudyRevisions would hand them out; records who was asked, and when it caught up with Orthanc. */
class FakeRevisions implements RevisionLookup {
  readonly revisions = new Map<string, string>([
    ['orthanc-a', 'aaaaaaaa00000001'],
    ['orthanc-b', 'bbbbbbbb00000001'],
  ]);
  asked: string[] = [];
  /** Every call, in order: 'caughtUp' or the Orthanc ID asked for. */
  calls: string[] = [];
  /** caughtUp() fails, as when Orthanc cannot be asked. */
  unreachable = false;
  /** Orthanc IDs a look found deleted. */
  readonly gone = new Set<string>();
  isGone(orthancId: string): boolean {
    this.calls.push(`gone? ${orthancId}`);
    return this.gone.has(orthancId);
  }
  async caughtUp(): Promise<void> {
    this.calls.push('caughtUp');
    if (this.unreachable) throw new Error('connection refused');
  }
  revisionOf(orthancId: string): string | undefined {
    this.asked.push(orthancId);
    this.calls.push(orthancId);
    return this.revisions.get(orthancId) ?? (orthancId.startsWith('many-') ? `cccccccc${orthancId.slice(5).padStart(8, '0')}` : undefined);
  }
}

beforeAll(async () => {
  temp = await createTempDatabase();
  const study = (uid: string, patientId: string, orthancId: string | null) => ({
    studyInstanceUid: uid,
    patient: { patientId, name: `P^${patientId}` },
    accessionNumber: null,
    modalities: ['CT'],
    studyDate: '20260101',
    studyTime: null,
    description: null,
    numberOfSeries: 1,
    numberOfInstances: 1,
    orthancId,
  });
  await upsertImportedStudy(temp.db, study(STUDY_A, 'PA', 'orthanc-a'));
  await upsertImportedStudy(temp.db, study(STUDY_B, 'PB', 'orthanc-b'));
  await upsertImportedStudy(temp.db, study(NO_ORTHANC_ID, 'PA', null));
  // A patient with more studies than a cached root search may name.
  for (let n = 1; n <= MAX_CACHED_SEARCH_STUDIES + 1; n++) await upsertImportedStudy(temp.db, study(`1.2.826.0.1.3680043.8.499.${n}`, 'PM', `many-${n}`));
  const password = 'correct horse battery';
  for (const [username, role, patientId] of [
    ['admin', 'admin'],
    ['doc', 'doctor'],
    ['pa', 'patient', 'PA'],
    ['pb', 'patient', 'PB'],
    ['pm', 'patient', 'PM'],
  ] as const) {
    users[username] = await createUser(temp.db, { username, displayName: username, role, password, ...(patientId ? { patientId } : {}) });
  }
  await assignStudy(temp.db, STUDY_A, { orderingPhysician: 'doc' });
  await assignStudy(temp.db, STUDY_B, { orderingPhysician: 'doc' });
});
afterAll(async () => temp.dispose());

const decide = (username: string, path: string, query = '', revisions?: RevisionLookup) =>
  decideDicomWebRequest(temp.db, users[username] as User, path, query, revisions);

const locationOf = async (username: string, path: string, query: string, revisions?: RevisionLookup): Promise<string> => {
  const decision = await decide(username, path, query, revisions);
  expect(decision.outcome).toBe('redirect');
  return decision.outcome === 'redirect' ? decision.location : '';
};

describe('the cached internal location', () => {
  it('carries the study’s revision for metadata, searches within a study and frames', async () => {
    const revisions = new FakeRevisions();
    const cached = `/internal-orthanc/cached/aaaaaaaa00000001/dicom-web/studies/${STUDY_A}`;
    expect(await locationOf('doc', `studies/${STUDY_A}/metadata`, '', revisions)).toBe(`${cached}/metadata`);
    expect(await locationOf('doc', `studies/${STUDY_A}/series/${SERIES}/metadata`, '', revisions)).toBe(`${cached}/series/${SERIES}/metadata`);
    expect(await locationOf('doc', `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}/metadata`, '', revisions)).toBe(`${cached}/series/${SERIES}/instances/${INSTANCE}/metadata`);
    expect(await locationOf('doc', `studies/${STUDY_A}/series`, 'Modality=CT', revisions)).toBe(`${cached}/series?Modality=CT`);
    expect(await locationOf('doc', `studies/${STUDY_A}/series/${SERIES}/instances`, '', revisions)).toBe(`${cached}/series/${SERIES}/instances`);
    expect(await locationOf('doc', `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}/frames/1,2`, '', revisions)).toBe(
      `${cached}/series/${SERIES}/instances/${INSTANCE}/frames/1,2`,
    );
    // A root series search names one study and becomes that study's search, cached under its revision.
    expect(await locationOf('doc', 'series', `StudyInstanceUID=${STUDY_A}`, revisions)).toBe(`${cached}/series`);
    // Another study, another revision: the key never mixes studies.
    expect(await locationOf('doc', `studies/${STUDY_B}/metadata`, '', revisions)).toBe(`/internal-orthanc/cached/bbbbbbbb00000001/dicom-web/studies/${STUDY_B}/metadata`);
  });

  it('streams whole instances, rendered images, thumbnails and bulk data uncached, without watching the study', async () => {
    const revisions = new FakeRevisions();
    for (const path of [
      `studies/${STUDY_A}`,
      `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}`,
      `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}/rendered`,
      `studies/${STUDY_A}/series/${SERIES}/thumbnail`,
      `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}/frames/1/rendered`,
      `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}/bulk/7FE00010`,
    ]) {
      expect(await locationOf('doc', path, '', revisions), path).toMatch(/^\/internal-orthanc\/dicom-web\//);
    }
    expect(revisions.asked).toEqual([]);
  });

  it('is not used without revisions, when none may be handed out, or for a study without an Orthanc ID', async () => {
    expect(await locationOf('doc', `studies/${STUDY_A}/metadata`, '')).toBe(`/internal-orthanc/dicom-web/studies/${STUDY_A}/metadata`);
    const behind: RevisionLookup = { revisionOf: () => undefined, caughtUp: async () => undefined, isGone: () => false };
    expect(await locationOf('doc', `studies/${STUDY_A}/metadata`, '', behind)).toBe(`/internal-orthanc/dicom-web/studies/${STUDY_A}/metadata`);
    expect(await locationOf('pa', `studies/${NO_ORTHANC_ID}/metadata`, '', new FakeRevisions())).toBe(`/internal-orthanc/dicom-web/studies/${NO_ORTHANC_ID}/metadata`);
  });

  it('serves metadata and searches from the cache only after catching up with Orthanc; frames take the revision as it is', async () => {
    for (const [path, query] of [
      [`studies/${STUDY_A}/metadata`, ''],
      [`studies/${STUDY_A}/series/${SERIES}/metadata`, ''],
      [`studies/${STUDY_A}/series`, 'Modality=CT'],
      ['series', `StudyInstanceUID=${STUDY_A}`],
    ] as const) {
      const revisions = new FakeRevisions();
      await locationOf('doc', path, query, revisions);
      expect(revisions.calls, path).toEqual(['caughtUp', 'gone? orthanc-a', 'orthanc-a']);
    }
    const search = new FakeRevisions();
    await locationOf('pb', 'studies', 'PatientName=P*', search);
    expect(search.calls, 'a root study search catches up once, then keys every study').toEqual(['caughtUp', 'orthanc-b']);
    const frames = new FakeRevisions();
    await locationOf('doc', `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}/frames/1`, '', frames);
    expect(frames.calls).toEqual(['gone? orthanc-a', 'orthanc-a']);
  });

  it('refuses a study a look found deleted in Orthanc before nginx is involved, after catching up for metadata', async () => {
    const revisions = new FakeRevisions();
    revisions.gone.add('orthanc-a');
    for (const path of [
      `studies/${STUDY_A}/series/${SERIES}/metadata`,
      `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}/frames/1`,
      `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}`,
    ]) {
      expect(await decide('doc', path, '', revisions), path).toMatchObject({ outcome: 'refused', status: 404, code: 'STUDY_NOT_FOUND', studyUid: STUDY_A });
    }
    expect(revisions.calls.slice(0, 2), 'metadata: the look that found it gone may be the one the request waited for').toEqual(['caughtUp', 'gone? orthanc-a']);
    expect(revisions.asked, 'no revision handed out for it').toEqual([]);
    // The policy still comes first: someone who may not see the study learns nothing of its deletion.
    expect(await decide('pb', `studies/${STUDY_A}/metadata`, '', revisions)).toMatchObject({ outcome: 'refused', status: 403, code: 'STUDY_FORBIDDEN' });
    expect(await locationOf('doc', `studies/${STUDY_B}/metadata`, '', revisions)).toMatch(/^\/internal-orthanc\/cached\/bbbbbbbb00000001\//);
  });

  it('streams metadata and searches uncached when it cannot catch up with Orthanc', async () => {
    const revisions = new FakeRevisions();
    revisions.unreachable = true;
    expect(await locationOf('doc', `studies/${STUDY_A}/series/${SERIES}/metadata`, '', revisions)).toBe(`/internal-orthanc/dicom-web/studies/${STUDY_A}/series/${SERIES}/metadata`);
    expect(await locationOf('doc', `studies/${STUDY_A}/series`, '', revisions)).toBe(`/internal-orthanc/dicom-web/studies/${STUDY_A}/series`);
    expect(await locationOf('pb', 'studies', '', revisions)).toMatch(/^\/internal-orthanc\/dicom-web\/studies\?StudyInstanceUID=/);
    expect(revisions.asked, 'no revision is even looked up').toEqual([]);
  });

  it('keys a root study search by the caller’s own studies: different callers, different entries', async () => {
    const revisions = new FakeRevisions();
    const patientB = await locationOf('pb', 'studies', 'PatientName=P*', revisions);
    const doctor = await locationOf('doc', 'studies', 'PatientName=P*', revisions);
    expect(patientB).toMatch(new RegExp(`^/internal-orthanc/cached/[0-9a-f]{16}/dicom-web/studies\\?StudyInstanceUID=${STUDY_B.replaceAll('.', '\\.')}&PatientName=P\\*$`));
    expect(doctor).toMatch(/^\/internal-orthanc\/cached\/[0-9a-f]{16}\/dicom-web\/studies\?StudyInstanceUID=/);
    expect(doctor).toContain(STUDY_A);
    expect(patientB).not.toContain(STUDY_A);
    // The search's revision follows each of its studies'.
    revisions.revisions.set('orthanc-b', 'bbbbbbbb00000002');
    const after = await locationOf('pb', 'studies', 'PatientName=P*', revisions);
    expect(after).not.toBe(patientB);
    expect(after.replace(/cached\/[0-9a-f]{16}/, '')).toBe(patientB.replace(/cached\/[0-9a-f]{16}/, ''));
  });

  it('does not cache a root study search over many studies, one with a study without an Orthanc ID, or an administrator’s', async () => {
    const revisions = new FakeRevisions();
    expect(await locationOf('pm', 'studies', '', revisions)).toMatch(/^\/internal-orthanc\/dicom-web\/studies\?StudyInstanceUID=/);
    expect(await locationOf('pa', 'studies', '', revisions)).toMatch(/^\/internal-orthanc\/dicom-web\/studies\?StudyInstanceUID=/);
    expect(await locationOf('admin', 'studies', '', revisions)).toBe('/internal-orthanc/dicom-web/studies');
  });
});
