import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RsDatabase } from '../db/database.ts';
import { RegistryError } from '../registry-error.ts';
import { createTempDatabase } from '../testing/temp-database.ts';
import type { TempDatabase } from '../testing/temp-database.ts';
import { createTempPostgres, PG_SKIP_REASON, testPgAdminUrl } from '../testing/temp-postgres.ts';
import { createUser, findUserByUsername } from '../users/user-repository.ts';
import { findPatientById, findPatientByPatientId, linkPatientUser, upsertPatient } from './patient-repository.ts';

/** Made per run: no password is written into the sources. */
const PASSWORD = randomBytes(12).toString('base64url');

let temp: TempDatabase;

beforeEach(async () => {
  temp = await createTempDatabase();
});

afterEach(async () => {
  await temp.dispose();
});

/** The same PatientID under two issuers and under none: three records, each updated on its own. */
async function oneRecordPerIssuer(db: RsDatabase): Promise<void> {
  const a = await upsertPatient(db, { patientId: 'MRN-7', issuerOfPatientId: 'HOSP-A', name: 'DOE^JANE' });
  const b = await upsertPatient(db, { patientId: 'MRN-7', issuerOfPatientId: 'HOSP-B', name: 'ROE^RICHARD' });
  const none = await upsertPatient(db, { patientId: 'MRN-7', issuerOfPatientId: null, name: 'POE^EDGAR' });
  expect(new Set([a.id, b.id, none.id]).size).toBe(3);
  // The same pair again updates its own record only; an empty issuer is the record without one.
  expect(await upsertPatient(db, { patientId: 'MRN-7', issuerOfPatientId: 'HOSP-A', sex: 'F' })).toEqual({ ...a, sex: 'F' });
  expect(await upsertPatient(db, { patientId: 'MRN-7', issuerOfPatientId: '', birthDate: '19490119' })).toEqual({ ...none, birthDate: '19490119' });
  expect(await upsertPatient(db, { patientId: 'MRN-7' })).toMatchObject({ id: none.id });
  expect(await findPatientByPatientId(db, 'MRN-7', 'HOSP-B')).toEqual(b);
  expect(await findPatientByPatientId(db, 'MRN-7')).toMatchObject({ id: none.id, name: 'POE^EDGAR', issuerOfPatientId: null });
  expect(await findPatientByPatientId(db, 'MRN-7', 'HOSP-C')).toBeUndefined();
  expect(await db.selectFrom('patients').select('id').execute()).toHaveLength(3);
}

describe('upsertPatient', () => {
  it('inserts once per PatientID and issuer and updates only the fields given', async () => {
    const first = await upsertPatient(temp.db, { patientId: 'P1', name: 'DOE^JANE', birthDate: '19800101', sex: 'F' });
    const bare = await upsertPatient(temp.db, { patientId: 'P1' });
    expect(bare).toEqual(first);
    const renamed = await upsertPatient(temp.db, { patientId: 'P1', name: 'DOE^JANE^M', sex: null });
    expect(renamed).toEqual({ id: first.id, patientId: 'P1', name: 'DOE^JANE^M', birthDate: '19800101', sex: null, issuerOfPatientId: null });
    expect(await findPatientByPatientId(temp.db, 'P1')).toEqual(renamed);
    expect(await findPatientById(temp.db, first.id)).toEqual(renamed);
    expect(await temp.db.selectFrom('patients').select('id').execute()).toHaveLength(1);
  });

  it('keeps one record per PatientID and issuer, no issuer (null or empty) being a value of its own', async () => {
    await oneRecordPerIssuer(temp.db);
  });

  it('refuses a PatientID DICOM could not carry', async () => {
    for (const patientId of ['', '   ', 'a\\b', 'x'.repeat(65), 'tab\there']) {
      await expect(upsertPatient(temp.db, { patientId })).rejects.toMatchObject({ code: 'INVALID_PATIENT_ID' });
    }
  });
});

describe('linkPatientUser', () => {
  it('links a patient account to a record, creating a bare one if needed', async () => {
    await createUser(temp.db, { username: 'jane', displayName: 'Jane', role: 'patient', password: PASSWORD, patientId: 'OLD' });
    const patient = await linkPatientUser(temp.db, 'Jane', 'NEW');
    expect(patient).toMatchObject({ patientId: 'NEW', name: null });
    expect((await findUserByUsername(temp.db, 'jane'))?.patientRecordId).toBe(patient.id);
  });

  it('links to exactly the PatientID and issuer given, never to another issuer\'s record', async () => {
    const a = await upsertPatient(temp.db, { patientId: 'MRN-9', issuerOfPatientId: 'HOSP-A', name: 'DOE^JANE' });
    const b = await upsertPatient(temp.db, { patientId: 'MRN-9', issuerOfPatientId: 'HOSP-B', name: 'ROE^RICHARD' });
    await createUser(temp.db, { username: 'jane', displayName: 'Jane', role: 'patient', password: PASSWORD, patientId: 'MRN-9', issuerOfPatientId: 'HOSP-A' });
    expect((await findUserByUsername(temp.db, 'jane'))?.patientRecordId).toBe(a.id);
    expect(await linkPatientUser(temp.db, 'jane', 'MRN-9', 'HOSP-B')).toEqual(b);
    expect((await findUserByUsername(temp.db, 'jane'))?.patientRecordId).toBe(b.id);
    // Without an issuer: a bare record of its own, not one of the issuers' patients.
    const bare = await linkPatientUser(temp.db, 'jane', 'MRN-9');
    expect(bare).toMatchObject({ patientId: 'MRN-9', issuerOfPatientId: null, name: null });
    expect([a.id, b.id]).not.toContain(bare.id);
    expect(await findPatientByPatientId(temp.db, 'MRN-9', 'HOSP-A')).toEqual(a);
  });

  it('refuses staff accounts and unknown users', async () => {
    await createUser(temp.db, { username: 'doc', displayName: 'Doc', role: 'doctor', password: PASSWORD });
    await expect(linkPatientUser(temp.db, 'doc', 'P1')).rejects.toMatchObject({ code: 'ROLE_MISMATCH' });
    await expect(linkPatientUser(temp.db, 'ghost', 'P1')).rejects.toBeInstanceOf(RegistryError);
    expect(await findPatientByPatientId(temp.db, 'P1')).toBeUndefined();
  });
});

describe.skipIf(!testPgAdminUrl)(`patients on PostgreSQL${testPgAdminUrl ? '' : ` (${PG_SKIP_REASON})`}`, () => {
  it('keeps one record per PatientID and issuer, no issuer (null or empty) being a value of its own', async () => {
    const pg = await createTempPostgres();
    try {
      await oneRecordPerIssuer(pg.db);
    } finally {
      await pg.dispose();
    }
  });
});
