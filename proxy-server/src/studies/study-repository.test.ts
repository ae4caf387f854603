import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPatientByPatientId } from '../patients/patient-repository.ts';
import { canAccessStudy } from '../policy/study-access-policy.ts';
import { createTempDatabase } from '../testing/temp-database.ts';
import type { TempDatabase } from '../testing/temp-database.ts';
import { createUser, setUserDisabled } from '../users/user-repository.ts';
import type { User } from '../users/user-repository.ts';
import { assignStudy, findStudyByUid, listStudies, listStudiesVisibleTo, upsertImportedStudy } from './study-repository.ts';
import type { ImportedStudy } from './study-repository.ts';

/** Made per run: no password is written into the sources. */
const PASSWORD = randomBytes(12).toString('base64url');

let temp: TempDatabase;

beforeEach(async () => {
  temp = await createTempDatabase();
});

afterEach(async () => {
  await temp.dispose();
});

function imported(overrides: Partial<ImportedStudy> = {}): ImportedStudy {
  return {
    studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
    patient: { patientId: 'P1', name: 'DOE^JANE', birthDate: '19800101', sex: 'F' },
    accessionNumber: 'ACC-1',
    modalities: ['CT', 'SR', 'CT'],
    studyDate: '20261127',
    studyTime: '101500',
    description: 'CT chest',
    numberOfSeries: 2,
    numberOfInstances: 120,
    orthancId: 'orthanc-study-1',
    ...overrides,
  };
}

async function staff(username: string, role: 'doctor' | 'radiologist' | 'nurse' | 'admin' | 'lab'): Promise<User> {
  return createUser(temp.db, { username, displayName: username, role, password: PASSWORD });
}

describe('upsertImportedStudy', () => {
  it('records the study and its patient', async () => {
    const now = new Date('2026-11-27T12:00:00.000Z');
    const study = await upsertImportedStudy(temp.db, imported(), { now });
    const patient = await findPatientByPatientId(temp.db, 'P1');
    expect(patient).toMatchObject({ name: 'DOE^JANE', birthDate: '19800101', sex: 'F' });
    expect(study).toEqual({
      id: expect.any(Number),
      studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
      patientRecordId: patient?.id,
      orderingPhysicianId: null,
      radiologistId: null,
      accessionNumber: 'ACC-1',
      modalities: ['CT', 'SR'],
      studyDate: '20261127',
      studyTime: '101500',
      description: 'CT chest',
      status: 'unread',
      numberOfSeries: 2,
      numberOfInstances: 120,
      orthancId: 'orthanc-study-1',
      importedAt: '2026-11-27T12:00:00.000Z',
    });
    expect(await findStudyByUid(temp.db, study.studyInstanceUid)).toEqual(study);
    expect(await findStudyByUid(temp.db, '1.2.3')).toBeUndefined();
  });

  it('refreshes attributes and counts on re-import but keeps assignments and a later status', async () => {
    const radiologist = await staff('rad', 'radiologist');
    const first = await upsertImportedStudy(temp.db, imported());
    await assignStudy(temp.db, first.studyInstanceUid, { radiologist: 'rad' });
    await temp.db.updateTable('studies').set({ status: 'read' }).where('id', '=', first.id).execute();
    const again = await upsertImportedStudy(temp.db, imported({ numberOfSeries: 3, numberOfInstances: 121, description: 'CT chest w/ contrast' }));
    expect(again).toMatchObject({ id: first.id, radiologistId: radiologist.id, status: 'read', numberOfSeries: 3, numberOfInstances: 121, description: 'CT chest w/ contrast' });
  });

  it('moves a scheduled study to unread once images arrive', async () => {
    const first = await upsertImportedStudy(temp.db, imported());
    await temp.db.updateTable('studies').set({ status: 'scheduled' }).where('id', '=', first.id).execute();
    expect((await upsertImportedStudy(temp.db, imported())).status).toBe('unread');
  });

  it('stores no modality when none is known', async () => {
    expect((await upsertImportedStudy(temp.db, imported({ modalities: [] }))).modalities).toEqual([]);
  });
});

describe('assignStudy', () => {
  it('assigns by username, leaves absent fields alone and unassigns with null', async () => {
    const doctor = await staff('doc', 'doctor');
    const radiologist = await staff('rad', 'radiologist');
    const { studyInstanceUid } = await upsertImportedStudy(temp.db, imported());
    expect(await assignStudy(temp.db, studyInstanceUid, { orderingPhysician: 'DOC' })).toMatchObject({ orderingPhysicianId: doctor.id, radiologistId: null });
    expect(await assignStudy(temp.db, studyInstanceUid, { radiologist: 'rad' })).toMatchObject({ orderingPhysicianId: doctor.id, radiologistId: radiologist.id });
    expect(await assignStudy(temp.db, studyInstanceUid, {})).toMatchObject({ orderingPhysicianId: doctor.id, radiologistId: radiologist.id });
    expect(await assignStudy(temp.db, studyInstanceUid, { orderingPhysician: null })).toMatchObject({ orderingPhysicianId: null, radiologistId: radiologist.id });
  });

  it('refuses unknown studies and users, wrong roles and disabled users', async () => {
    await staff('doc', 'doctor');
    await staff('nurse', 'nurse');
    await staff('rad', 'radiologist');
    const { studyInstanceUid } = await upsertImportedStudy(temp.db, imported());
    await expect(assignStudy(temp.db, '9.9.9', { radiologist: 'rad' })).rejects.toMatchObject({ code: 'STUDY_NOT_FOUND', message: 'no study with StudyInstanceUID 9.9.9' });
    await expect(assignStudy(temp.db, studyInstanceUid, { radiologist: 'ghost' })).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(assignStudy(temp.db, studyInstanceUid, { radiologist: 'doc' })).rejects.toMatchObject({
      code: 'ROLE_MISMATCH',
      message: '"doc" is doctor and cannot be the radiologist (needs radiologist)',
    });
    await expect(assignStudy(temp.db, studyInstanceUid, { orderingPhysician: 'nurse' })).rejects.toMatchObject({ code: 'ROLE_MISMATCH' });
    await setUserDisabled(temp.db, 'rad', true);
    await expect(assignStudy(temp.db, studyInstanceUid, { radiologist: 'rad' })).rejects.toMatchObject({ code: 'USER_DISABLED' });
    // A failed assignment changes nothing, not even the half that was valid.
    await expect(assignStudy(temp.db, studyInstanceUid, { orderingPhysician: 'doc', radiologist: 'ghost' })).rejects.toThrow();
    expect(await findStudyByUid(temp.db, studyInstanceUid)).toMatchObject({ orderingPhysicianId: null, radiologistId: null });
  });
});

describe('listing studies', () => {
  it('lists newest first with paging', async () => {
    await upsertImportedStudy(temp.db, imported({ studyInstanceUid: '1.1', studyDate: '20250101' }));
    await upsertImportedStudy(temp.db, imported({ studyInstanceUid: '1.2', studyDate: '20260101' }));
    await upsertImportedStudy(temp.db, imported({ studyInstanceUid: '1.3', studyDate: null }));
    expect((await listStudies(temp.db)).map((study) => study.studyInstanceUid)).toEqual(['1.2', '1.1', '1.3']);
    expect((await listStudies(temp.db, { limit: 1, offset: 1 })).map((study) => study.studyInstanceUid)).toEqual(['1.1']);
  });

  it('lists for each user exactly the studies the access policy allows', async () => {
    const users = [
      await staff('admin', 'admin'),
      await staff('doc-a', 'doctor'),
      await staff('doc-b', 'doctor'),
      await staff('rad-a', 'radiologist'),
      await staff('rad-b', 'radiologist'),
      await staff('nurse', 'nurse'),
      await staff('lab', 'lab'),
      await createUser(temp.db, { username: 'pat-a', displayName: 'A', role: 'patient', password: PASSWORD, patientId: 'PA' }),
      await createUser(temp.db, { username: 'pat-c', displayName: 'C', role: 'patient', password: PASSWORD, patientId: 'PC' }),
      await staff('doc-off', 'doctor'),
    ];
    const orderers = [null, 'doc-a', 'doc-b', 'rad-a', 'doc-off'];
    const readers = [null, 'rad-a', 'rad-b'];
    let n = 0;
    for (const patientId of ['PA', 'PB']) {
      for (const orderingPhysician of orderers) {
        for (const radiologist of readers) {
          n += 1;
          const uid = `2.25.${n}`;
          await upsertImportedStudy(temp.db, imported({ studyInstanceUid: uid, patient: { patientId }, studyDate: `2026${String(n).padStart(4, '0')}` }));
          await assignStudy(temp.db, uid, { orderingPhysician, radiologist });
        }
      }
    }
    await setUserDisabled(temp.db, 'doc-off', true);
    const disabled = { ...users.at(-1)!, disabled: true };
    const everyone = [...users.slice(0, -1), disabled];

    const all = await listStudies(temp.db, { limit: 1000 });
    expect(all).toHaveLength(n);
    for (const user of everyone) {
      const expected = all.filter((study) => canAccessStudy(user, study)).map((study) => study.studyInstanceUid);
      const listed = (await listStudiesVisibleTo(temp.db, user, { limit: 1000 })).map((study) => study.studyInstanceUid);
      expect(listed, `${user.username} (${user.role})`).toEqual(expected);
    }
    // The fixture exercises both outcomes for the roles that depend on relations.
    for (const username of ['doc-a', 'rad-a', 'pat-a']) {
      const user = everyone.find((candidate) => candidate.username === username)!;
      const visible = all.filter((study) => canAccessStudy(user, study)).length;
      expect(visible).toBeGreaterThan(0);
      expect(visible).toBeLessThan(n);
    }
  });
});
