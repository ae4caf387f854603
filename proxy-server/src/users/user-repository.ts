import type { RsDatabase } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import { upsertPatient } from '../patients/patient-repository.ts';
import { RegistryError } from '../registry-error.ts';
import { hashPassword, spendVerificationTime, verifyPassword } from './passwords.ts';
import { ROLES, isRole } from './roles.ts';
import { isValidUsername, normalizeUsername } from './username.ts';
import type { Role } from './roles.ts';

export interface User {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  /** patients.id of the record a patient account may see; null for staff. */
  patientRecordId: number | null;
  disabled: boolean;
  createdAt: string;
}

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  password: string;
  /** DICOM PatientID this patient account may see; required for, and only allowed on, role `patient`. */
  patientId?: string;
  /** IssuerOfPatientID of that patient, where the hospital's PACS gives one. */
  issuerOfPatientId?: string;
}

export function toUser(row: Omit<UserRow, 'password_hash'>): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    patientRecordId: row.patient_id,
    disabled: row.disabled !== 0,
    createdAt: row.created_at,
  };
}

export async function createUser(db: RsDatabase, input: NewUser, { now = new Date() }: { now?: Date } = {}): Promise<User> {
  const username = normalizeUsername(input.username);
  if (!isValidUsername(username)) {
    throw new RegistryError(
      'INVALID_USERNAME',
      `invalid username "${input.username}": use 1-64 lower-case letters, digits, ".", "_", "-" or "@", starting with a letter or digit`,
    );
  }
  const displayName = input.displayName.trim();
  if (displayName === '' || displayName.length > 200) {
    throw new RegistryError('INVALID_DISPLAY_NAME', 'the display name must have 1-200 characters');
  }
  if (!isRole(input.role)) {
    throw new RegistryError('ROLE_MISMATCH', `unknown role "${String(input.role)}": expected one of ${ROLES.join(', ')}`);
  }
  const patientId = input.patientId?.trim();
  if (input.role === 'patient' && (patientId === undefined || patientId === '')) {
    throw new RegistryError('PATIENT_LINK_REQUIRED', 'a patient account needs the PatientID of its patient record');
  }
  if (input.role !== 'patient' && (patientId !== undefined || input.issuerOfPatientId !== undefined)) {
    throw new RegistryError('ROLE_MISMATCH', `only a patient account can be linked to a patient record (role is ${input.role})`);
  }
  // Hash before the transaction: argon2 takes tens of milliseconds and must not hold a write lock.
  const passwordHash = await hashPassword(input.password);

  return db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
    if (taken !== undefined) throw new RegistryError('USERNAME_TAKEN', `the username "${username}" is already taken`);
    const patient = patientId === undefined ? undefined : await upsertPatient(trx, { patientId, issuerOfPatientId: input.issuerOfPatientId?.trim() || null });
    const row = await trx
      .insertInto('users')
      .values({
        username,
        display_name: displayName,
        role: input.role,
        password_hash: passwordHash,
        patient_id: patient?.id ?? null,
        created_at: now.toISOString(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toUser(row);
  });
}

export async function findUserByUsername(db: RsDatabase, username: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', normalizeUsername(username)).executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

/**
 * The local account a hospital IdP's token stands for: found by the provider's issuer and the
 * token's `sub` only, never by a name claim (which can be changed, or reused for another person).
 */
export async function findUserByIdpIdentity(db: RsDatabase, issuer: string, subject: string): Promise<User | undefined> {
  const row = await db
    .selectFrom('idp_identities')
    .innerJoin('users', 'users.id', 'idp_identities.user_id')
    .selectAll('users')
    .where('idp_identities.issuer', '=', issuer)
    .where('idp_identities.subject', '=', subject)
    .executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

/** Links an IdP account (issuer + `sub`) to a local user; one IdP account stands for one user. */
export async function linkIdpIdentity(db: RsDatabase, username: string, issuer: string, subject: string, { now = new Date() }: { now?: Date } = {}): Promise<User> {
  const user = await findUserByUsername(db, username);
  if (user === undefined) throw new RegistryError('USER_NOT_FOUND', `no user ${normalizeUsername(username)}`);
  await db.insertInto('idp_identities').values({ issuer, subject, user_id: user.id, created_at: now.toISOString() }).execute();
  return user;
}

export async function findUserById(db: RsDatabase, id: number): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

export async function setUserDisabled(db: RsDatabase, username: string, disabled: boolean): Promise<User> {
  const row = await db
    .updateTable('users')
    .set({ disabled: disabled ? 1 : 0 })
    .where('username', '=', normalizeUsername(username))
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw new RegistryError('USER_NOT_FOUND', `no user "${normalizeUsername(username)}"`);
  return toUser(row);
}

export type CredentialCheck =
  | { ok: true; user: User }
  | { ok: false; reason: 'unknown_user' | 'wrong_password' | 'disabled'; user?: User };

/**
 * Checks a username and password. Every outcome costs one argon2 verification, so the answer's
 * timing does not tell whether the account exists. A disabled account is refused even with the
 * right password (and only then is `disabled` reported, so the reason leaks nothing new).
 */
export async function verifyCredentials(db: RsDatabase, username: string, password: string): Promise<CredentialCheck> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', normalizeUsername(username)).executeTakeFirst();
  if (row === undefined) {
    await spendVerificationTime(password);
    return { ok: false, reason: 'unknown_user' };
  }
  const user = toUser(row);
  if (!(await verifyPassword(row.password_hash, password))) return { ok: false, reason: 'wrong_password', user };
  if (user.disabled) return { ok: false, reason: 'disabled', user };
  return { ok: true, user };
}
