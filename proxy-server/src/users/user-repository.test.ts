import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPatientByPatientId } from '../patients/patient-repository.ts';
import { RegistryError } from '../registry-error.ts';
import { createTempDatabase } from '../testing/temp-database.ts';
import type { TempDatabase } from '../testing/temp-database.ts';
import { verifyPassword } from './passwords.ts';
import { createUser, findUserById, findUserByUsername, setUserDisabled, verifyCredentials } from './user-repository.ts';

/** Made per run: no password is written into the sources. */
const PASSWORD = randomBytes(12).toString('base64url');

let temp: TempDatabase;

beforeEach(async () => {
  temp = await createTempDatabase();
});

afterEach(async () => {
  await temp.dispose();
});

async function registryErrorOf(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RegistryError) return error;
    throw error;
  }
  throw new Error('expected a RegistryError');
}

describe('createUser', () => {
  it('stores an argon2id hash, never the password, and normalises the username', async () => {
    const now = new Date('2026-11-27T10:00:00.000Z');
    const user = await createUser(temp.db, { username: ' Dr.House ', displayName: ' Gregory House ', role: 'radiologist', password: 'correct horse' }, { now });
    expect(user).toEqual({
      id: expect.any(Number),
      username: 'dr.house',
      displayName: 'Gregory House',
      role: 'radiologist',
      patientRecordId: null,
      disabled: false,
      createdAt: '2026-11-27T10:00:00.000Z',
    });
    const row = await temp.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain('correct horse');
    expect(await verifyPassword(row.password_hash, 'correct horse')).toBe(true);
    expect(await verifyPassword(row.password_hash, 'wrong horse')).toBe(false);
    expect(await verifyPassword('not a hash', 'correct horse')).toBe(false);
  });

  it('links a patient account to its record, creating the record when needed', async () => {
    const user = await createUser(temp.db, { username: 'jane', displayName: 'Jane Doe', role: 'patient', password: PASSWORD, patientId: 'PAT-001' });
    const patient = await findPatientByPatientId(temp.db, 'PAT-001');
    expect(patient).toMatchObject({ patientId: 'PAT-001', name: null });
    expect(user.patientRecordId).toBe(patient?.id);
  });

  it('refuses bad input with a clear reason', async () => {
    const base = { displayName: 'X', role: 'doctor' as const, password: PASSWORD };
    expect((await registryErrorOf(createUser(temp.db, { ...base, username: 'bad name' }))).code).toBe('INVALID_USERNAME');
    expect((await registryErrorOf(createUser(temp.db, { ...base, username: '' }))).code).toBe('INVALID_USERNAME');
    expect((await registryErrorOf(createUser(temp.db, { ...base, username: 'ok', displayName: '  ' }))).code).toBe('INVALID_DISPLAY_NAME');
    const short = await registryErrorOf(createUser(temp.db, { ...base, username: 'ok', password: 'short' }));
    expect(short).toMatchObject({ code: 'INVALID_PASSWORD', message: 'the password must have at least 8 characters' });
    expect((await registryErrorOf(createUser(temp.db, { ...base, username: 'ok', role: 'patient' }))).code).toBe('PATIENT_LINK_REQUIRED');
    expect((await registryErrorOf(createUser(temp.db, { ...base, username: 'ok', patientId: 'P1' }))).code).toBe('ROLE_MISMATCH');
    expect((await registryErrorOf(createUser(temp.db, { ...base, username: 'ok', role: 'patient', patientId: 'a\\b' }))).code).toBe('INVALID_PATIENT_ID');
    expect((await registryErrorOf(createUser(temp.db, { ...base, username: 'ok', role: 'root' as 'admin' }))).code).toBe('ROLE_MISMATCH');
    expect(await temp.db.selectFrom('users').select('id').execute()).toEqual([]);
    expect(await temp.db.selectFrom('patients').select('id').execute()).toEqual([]);
  });

  it('refuses a username that is taken, whatever its case', async () => {
    await createUser(temp.db, { username: 'nurse1', displayName: 'N', role: 'nurse', password: PASSWORD });
    const error = await registryErrorOf(createUser(temp.db, { username: 'NURSE1', displayName: 'N2', role: 'lab', password: PASSWORD }));
    expect(error).toMatchObject({ code: 'USERNAME_TAKEN', message: 'the username "nurse1" is already taken' });
  });
});

describe('finding users and checking credentials', () => {
  it('finds by username (any case) and by id', async () => {
    const created = await createUser(temp.db, { username: 'lab1', displayName: 'Lab', role: 'lab', password: PASSWORD });
    expect(await findUserByUsername(temp.db, 'LAB1')).toEqual(created);
    expect(await findUserById(temp.db, created.id)).toEqual(created);
    expect(await findUserByUsername(temp.db, 'nobody')).toBeUndefined();
  });

  it('tells a wrong password, an unknown user and a disabled account apart', async () => {
    const created = await createUser(temp.db, { username: 'doc', displayName: 'Doc', role: 'doctor', password: PASSWORD });
    expect(await verifyCredentials(temp.db, 'Doc', PASSWORD)).toEqual({ ok: true, user: created });
    expect(await verifyCredentials(temp.db, 'doc', 'password2')).toMatchObject({ ok: false, reason: 'wrong_password' });
    expect(await verifyCredentials(temp.db, 'ghost', PASSWORD)).toEqual({ ok: false, reason: 'unknown_user' });
    await setUserDisabled(temp.db, 'doc', true);
    expect(await verifyCredentials(temp.db, 'doc', PASSWORD)).toMatchObject({ ok: false, reason: 'disabled' });
    // Without the right password a disabled account looks like any failed login.
    expect(await verifyCredentials(temp.db, 'doc', 'password2')).toMatchObject({ ok: false, reason: 'wrong_password' });
    expect((await registryErrorOf(setUserDisabled(temp.db, 'ghost', true))).code).toBe('USER_NOT_FOUND');
  });
});
