import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../audit/audit-log.ts';
import { auditKeysFromText } from '../audit/audit-keys.ts';
import { canAccessStudy } from '../policy/study-access-policy.ts';
import { RegistryError } from '../registry-error.ts';
import { assignStudy, findStudyByUid, upsertImportedStudy, type ImportedStudy } from '../studies/study-repository.ts';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { createUser, findUserByUsername, type User } from '../users/user-repository.ts';
import { listPhysicianDirectory, listUnmappedPhysicians, mapPhysician } from './physician-directory.ts';

/** Made per run: no password is written into the sources. */
const PASSWORD = randomBytes(12).toString('base64url');

let temp: TempDatabase;
const keys = auditKeysFromText(`${'k'.repeat(40)}\n`);
const audit = { actor: { username: 'reading-station-admin:root', role: 'admin' }, keys };

beforeEach(async () => {
  temp = await createTempDatabase();
});

afterEach(async () => {
  await temp.dispose();
});

function study(n: number, referring: string | null, patient: Partial<ImportedStudy['patient']> = {}): ImportedStudy {
  return {
    studyInstanceUid: `1.2.826.0.1.3680043.8.498.7${n}`,
    patient: { patientId: `P${n}`, name: 'DOE^JANE', ...patient },
    accessionNumber: null,
    modalities: ['CT'],
    studyDate: '20261127',
    studyTime: null,
    description: null,
    numberOfSeries: 1,
    numberOfInstances: 1,
    orthancId: `orthanc-${n}`,
    referringPhysicianName: referring,
  };
}

async function staff(username: string, role: 'doctor' | 'radiologist' | 'nurse'): Promise<User> {
  return createUser(temp.db, { username, displayName: username.toUpperCase(), role, password: PASSWORD });
}

async function auditRows() {
  return temp.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
}

describe('the physician directory', () => {
  it('maps a ReferringPhysicianName to a doctor, who then may see its studies, recorded and to come', async () => {
    const house = await staff('dr.house', 'doctor');
    await upsertImportedStudy(temp.db, study(1, 'House^Gregory^^'));
    await upsertImportedStudy(temp.db, study(2, 'Cuddy^Lisa'));
    expect(canAccessStudy(house, (await findStudyByUid(temp.db, study(1, null).studyInstanceUid))!)).toBe(false);

    const mapping = await mapPhysician(temp.db, 'HOUSE^GREGORY', 'Dr.House', audit);
    expect(mapping).toEqual({ dicomName: 'HOUSE^GREGORY', username: 'dr.house', displayName: 'DR.HOUSE', studies: 1 });
    expect(canAccessStudy(house, (await findStudyByUid(temp.db, study(1, null).studyInstanceUid))!)).toBe(true);
    expect(canAccessStudy(house, (await findStudyByUid(temp.db, study(2, null).studyInstanceUid))!)).toBe(false);

    // A study recorded later under the same name (spelt otherwise) is the doctor's from the start.
    const later = await upsertImportedStudy(temp.db, study(3, ' house^gregory '));
    expect(later.orderingPhysicianId).toBe(house.id);

    const rows = await auditRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'PHYSICIAN_MAPPED', result: 'success', username: 'reading-station-admin:root', reason: expect.stringContaining('HOUSE^GREGORY: (unmapped) -> dr.house') });
    expect(await verifyAuditLog(temp.db, { keys })).toMatchObject({ ok: true });
  });

  it('lists the names nobody is mapped to, most studies first, and the directory', async () => {
    await staff('dr.house', 'doctor');
    await upsertImportedStudy(temp.db, study(1, 'HOUSE^GREGORY'));
    await upsertImportedStudy(temp.db, study(2, 'CUDDY^LISA'));
    await upsertImportedStudy(temp.db, study(3, 'Cuddy^Lisa^^'));
    await upsertImportedStudy(temp.db, study(4, null));
    expect(await listUnmappedPhysicians(temp.db)).toEqual([
      { dicomName: 'CUDDY^LISA', studies: 2 },
      { dicomName: 'HOUSE^GREGORY', studies: 1 },
    ]);
    await mapPhysician(temp.db, 'HOUSE^GREGORY', 'dr.house', audit);
    expect(await listUnmappedPhysicians(temp.db)).toEqual([{ dicomName: 'CUDDY^LISA', studies: 2 }]);
    expect(await listPhysicianDirectory(temp.db)).toEqual([{ dicomName: 'HOUSE^GREGORY', username: 'dr.house', displayName: 'DR.HOUSE', studies: 1 }]);
  });

  it('refuses a user who cannot order, an unknown user and an empty name, changing nothing', async () => {
    await staff('nurse.joy', 'nurse');
    await upsertImportedStudy(temp.db, study(1, 'HOUSE^GREGORY'));
    await expect(mapPhysician(temp.db, 'HOUSE^GREGORY', 'nurse.joy', audit)).rejects.toMatchObject({ code: 'ROLE_MISMATCH' });
    await expect(mapPhysician(temp.db, 'HOUSE^GREGORY', 'nobody', audit)).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(mapPhysician(temp.db, '^^', 'nurse.joy', audit)).rejects.toBeInstanceOf(RegistryError);
    expect(await listPhysicianDirectory(temp.db)).toEqual([]);
    expect(await auditRows()).toEqual([]);
  });
});

describe('audited assignments', () => {
  it('records who changed the radiologist from whom to whom, in the same transaction', async () => {
    await staff('rad.a', 'radiologist');
    const b = await staff('rad.b', 'radiologist');
    const { studyInstanceUid } = await upsertImportedStudy(temp.db, study(1, null));
    await assignStudy(temp.db, studyInstanceUid, { radiologist: 'rad.a' }, { audit });
    const after = await assignStudy(temp.db, studyInstanceUid, { radiologist: 'rad.b' }, { audit });
    expect(after.radiologistId).toBe(b.id);
    const rows = await auditRows();
    expect(rows.map((row) => [row.action, row.study_uid, row.reason])).toEqual([
      ['STUDY_ASSIGNMENT', studyInstanceUid, 'radiologist: (none) -> rad.a'],
      ['STUDY_ASSIGNMENT', studyInstanceUid, 'radiologist: rad.a -> rad.b'],
    ]);
    expect(await verifyAuditLog(temp.db, { keys })).toMatchObject({ ok: true });
  });

  it('writes no audit row when the assignment is refused', async () => {
    await staff('dr.x', 'doctor');
    const { studyInstanceUid } = await upsertImportedStudy(temp.db, study(1, null));
    await expect(assignStudy(temp.db, studyInstanceUid, { radiologist: 'dr.x' }, { audit })).rejects.toMatchObject({ code: 'ROLE_MISMATCH' });
    expect(await auditRows()).toEqual([]);
  });
});

describe('patients by PatientID and IssuerOfPatientID', () => {
  it('files a study of the same PatientID from another issuer, or none, under a patient of its own that the linked account does not see', async () => {
    const account = await createUser(temp.db, { username: 'pat.a', displayName: 'A', role: 'patient', password: PASSWORD, patientId: 'MRN-1', issuerOfPatientId: 'HOSP-A' });
    const own = await upsertImportedStudy(temp.db, study(1, null, { patientId: 'MRN-1', issuerOfPatientId: 'HOSP-A' }));
    const partner = await upsertImportedStudy(temp.db, study(2, null, { patientId: 'MRN-1', issuerOfPatientId: 'HOSP-B' }));
    const noIssuer = await upsertImportedStudy(temp.db, study(3, null, { patientId: 'MRN-1', issuerOfPatientId: null }));
    expect(new Set([own.patientRecordId, partner.patientRecordId, noIssuer.patientRecordId]).size).toBe(3);
    expect(canAccessStudy(account, own)).toBe(true);
    expect(canAccessStudy(account, partner)).toBe(false);
    expect(canAccessStudy(account, noIssuer)).toBe(false);
    expect(await findUserByUsername(temp.db, 'pat.a')).toMatchObject({ patientRecordId: own.patientRecordId });
  });

  it('never lets images change the issuer of a record an account was linked to', async () => {
    const account = await createUser(temp.db, { username: 'pat.b', displayName: 'B', role: 'patient', password: PASSWORD, patientId: 'MRN-2' });
    const other = await upsertImportedStudy(temp.db, study(1, null, { patientId: 'MRN-2', issuerOfPatientId: 'HOSP-A' }));
    expect(canAccessStudy(account, other)).toBe(false);
    const linked = await temp.db.selectFrom('patients').select('issuer_of_patient_id').where('id', '=', account.patientRecordId as number).executeTakeFirstOrThrow();
    expect(linked.issuer_of_patient_id).toBeNull();
  });
});

describe('audit rows written by an administrator change', () => {
  it('are refused without the key once the log is keyed, so the chain never gets an unkeyed row', async () => {
    await staff('rad.a', 'radiologist');
    const { studyInstanceUid } = await upsertImportedStudy(temp.db, study(1, null));
    await assignStudy(temp.db, studyInstanceUid, { radiologist: 'rad.a' }, { audit });
    await expect(assignStudy(temp.db, studyInstanceUid, { radiologist: null }, { audit: { actor: audit.actor } })).rejects.toThrow(/audit key/);
    expect((await findStudyByUid(temp.db, studyInstanceUid))?.radiologistId).not.toBeNull();
  });
});
