import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignStudy, upsertImportedStudy } from '../studies/study-repository.ts';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { createUser, type User } from '../users/user-repository.ts';
import { decideDicomWebRequest } from './dicomweb-gate.ts';

const STUDY_A = '1.2.826.0.1.3680043.8.498.10';
const STUDY_B = '1.2.826.0.1.3680043.8.498.20';
const SERIES = '1.2.826.0.1.3680043.8.498.11';
const INSTANCE = '1.2.826.0.1.3680043.8.498.12';

let temp: TempDatabase;
const users: Record<string, User> = {};

beforeAll(async () => {
  temp = await createTempDatabase();
  const study = (uid: string, patientId: string) => ({
    studyInstanceUid: uid,
    patient: { patientId, name: `P^${patientId}` },
    accessionNumber: null,
    modalities: ['CT'],
    studyDate: '20260101',
    studyTime: null,
    description: null,
    numberOfSeries: 1,
    numberOfInstances: 1,
    orthancId: null,
  });
  await upsertImportedStudy(temp.db, study(STUDY_A, 'PA'));
  await upsertImportedStudy(temp.db, study(STUDY_B, 'PB'));
  const password = 'correct horse battery';
  for (const [username, role, patientId] of [
    ['admin', 'admin'],
    ['doc', 'doctor'],
    ['rad', 'radiologist'],
    ['pa', 'patient', 'PA'],
    ['nurse', 'nurse'],
  ] as const) {
    users[username] = await createUser(temp.db, { username, displayName: username, role, password, ...(patientId ? { patientId } : {}) });
  }
  await assignStudy(temp.db, STUDY_A, { orderingPhysician: 'doc', radiologist: 'rad' });
});
afterAll(async () => temp.dispose());

const decide = (username: string, path: string, query = '') => decideDicomWebRequest(temp.db, users[username] as User, path, query);

describe('decideDicomWebRequest', () => {
  it('redirects an allowed retrieve to the internal location, rebuilt from the parsed route', async () => {
    const decision = await decide('doc', `studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}/frames/1,2`);
    expect(decision).toMatchObject({
      outcome: 'redirect',
      location: `/internal-orthanc/dicom-web/studies/${STUDY_A}/series/${SERIES}/instances/${INSTANCE}/frames/1,2`,
      kind: 'instance.frames',
      studyUid: STUDY_A,
    });
  });

  it('refuses a study the user has no relation to with 403, and an unknown one with 404', async () => {
    expect(await decide('doc', `studies/${STUDY_B}/metadata`)).toMatchObject({ outcome: 'refused', status: 403, code: 'STUDY_FORBIDDEN' });
    expect(await decide('pa', `studies/${STUDY_B}/metadata`)).toMatchObject({ outcome: 'refused', status: 403 });
    expect(await decide('nurse', `studies/${STUDY_A}/metadata`)).toMatchObject({ outcome: 'refused', status: 403 });
    expect(await decide('admin', 'studies/1.2.3.4/metadata')).toMatchObject({ outcome: 'refused', status: 404, code: 'STUDY_NOT_FOUND' });
  });

  it('refuses bad paths and queries with 400 before looking anything up', async () => {
    expect(await decide('admin', `studies/${STUDY_A}/../${STUDY_B}`)).toMatchObject({ status: 400, code: 'INVALID_PATH' });
    expect(await decide('admin', `studies/${STUDY_A}/series`, 'SeriesDescription=a%0d%0ab')).toMatchObject({ status: 400, code: 'INVALID_QUERY' });
  });

  it('constrains a root study search to the studies the user may see', async () => {
    // The registry pages (root-study-search.ts): Orthanc gets the page's UIDs, the audit row the paging asked for.
    expect(await decide('doc', 'studies', 'limit=10')).toMatchObject({
      outcome: 'redirect',
      location: `/internal-orthanc/dicom-web/studies?StudyInstanceUID=${STUDY_A}`,
      // What the audit row records: the studies the search was constrained to and the rest of the query.
      exposure: { studyUids: [STUDY_A], query: 'limit=10' },
    });
    // Asking for a foreign study by UID narrows to nothing.
    expect(await decide('doc', 'studies', `StudyInstanceUID=${STUDY_B}`)).toMatchObject({ outcome: 'empty-search' });
    expect(await decide('doc', 'studies', `0020000D=${STUDY_B},${STUDY_A}`)).toMatchObject({
      location: `/internal-orthanc/dicom-web/studies?StudyInstanceUID=${STUDY_A}`,
    });
    expect(await decide('nurse', 'studies')).toMatchObject({ outcome: 'empty-search' });
    expect(await decide('admin', 'studies', 'PatientName=P%5E*')).toMatchObject({
      location: '/internal-orthanc/dicom-web/studies?PatientName=P^*',
      exposure: { studyUids: undefined, query: 'PatientName=P^*' },
    });
  });

  it('turns a root series search into the named study’s search, after checking that study', async () => {
    expect(await decide('rad', 'series', `StudyInstanceUID=${STUDY_A}&Modality=CT`)).toMatchObject({
      outcome: 'redirect',
      location: `/internal-orthanc/dicom-web/studies/${STUDY_A}/series?Modality=CT`,
      studyUid: STUDY_A,
    });
    expect(await decide('rad', 'instances', `StudyInstanceUID=${STUDY_B}`)).toMatchObject({ status: 403, code: 'STUDY_FORBIDDEN' });
    expect(await decide('rad', 'series')).toMatchObject({ status: 403, code: 'SEARCH_NOT_CONSTRAINED' });
    expect(await decide('rad', 'series', `StudyInstanceUID=${STUDY_A},${STUDY_B}`)).toMatchObject({ status: 403 });
  });

  it('re-encodes query values so nothing raw reaches nginx', async () => {
    const decision = await decide('admin', `studies/${STUDY_A}/series`, 'SeriesDescription=AX%20T1+post%C3%A9');
    expect(decision).toMatchObject({
      location: `/internal-orthanc/dicom-web/studies/${STUDY_A}/series?SeriesDescription=AX%20T1%20post%C3%A9`,
    });
  });
});
