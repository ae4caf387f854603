import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database, PatientRow } from '../db/schema.ts';
import { RegistryError } from '../registry-error.ts';
import { normalizeUsername } from '../users/username.ts';

export interface Patient {
  id: number;
  /** DICOM PatientID (0010,0020). */
  patientId: string;
  /** DICOM PN, Alphabetic form (`FAMILY^GIVEN`). */
  name: string | null;
  /** DICOM DA, `YYYYMMDD`. */
  birthDate: string | null;
  sex: string | null;
  /** DICOM IssuerOfPatientID (0010,0021), or null. */
  issuerOfPatientId: string | null;
}

/** What is known about a patient; an absent field leaves the stored value as it is. */
export interface PatientAttributes {
  patientId: string;
  name?: string | null;
  birthDate?: string | null;
  sex?: string | null;
  /**
   * IssuerOfPatientID as the PACS gives it; absent, null or empty: no issuer. Part of who the
   * patient is: the same PatientID under another issuer (or none) is another patient.
   */
  issuerOfPatientId?: string | null;
}

function toPatient(row: PatientRow): Patient {
  return { id: row.id, patientId: row.patient_id, name: row.name, birthDate: row.birth_date, sex: row.sex, issuerOfPatientId: row.issuer_of_patient_id };
}

// DICOM LO: at most 64 characters, no backslash (the multi-value separator) or control characters.
function isValidPatientId(patientId: string): boolean {
  if (patientId.trim() === '' || patientId.length > 64 || patientId.includes('\\')) return false;
  return [...patientId].every((character) => {
    const code = character.charCodeAt(0);
    return code >= 0x20 && code !== 0x7f;
  });
}

/** Why the registry refuses this PatientID, or undefined when it takes it. */
export function patientIdProblem(patientId: string): string | undefined {
  return isValidPatientId(patientId) ? undefined : `invalid PatientID ${JSON.stringify(patientId)}: expected 1-64 characters without "\\" or control characters`;
}

export function assertPatientId(patientId: string): void {
  const problem = patientIdProblem(patientId);
  if (problem !== undefined) throw new RegistryError('INVALID_PATIENT_ID', problem);
}

/** The issuer as the registry keys it: DICOM's empty value is no issuer, as null is. */
function issuerKey(issuer: string | null | undefined): string | null {
  return issuer === undefined || issuer === null || issuer === '' ? null : issuer;
}

/**
 * Inserts the patient, or updates the fields given. Works inside a transaction (pass `trx`).
 * A patient is the pair (PatientID, IssuerOfPatientID), no issuer being a value of its own: the
 * same PatientID under two issuers is two records, never merged, so a study is always filed and an
 * account linked to one issuer's patient never sees another issuer's.
 */
export async function upsertPatient(db: Kysely<Database>, attributes: PatientAttributes): Promise<Patient> {
  assertPatientId(attributes.patientId);
  const issuer = issuerKey(attributes.issuerOfPatientId);
  const updates = {
    ...(attributes.name !== undefined && { name: attributes.name }),
    ...(attributes.birthDate !== undefined && { birth_date: attributes.birthDate }),
    ...(attributes.sex !== undefined && { sex: attributes.sex }),
  };
  const row = await db
    .insertInto('patients')
    .values({
      patient_id: attributes.patientId,
      name: attributes.name ?? null,
      birth_date: attributes.birthDate ?? null,
      sex: attributes.sex ?? null,
      issuer_of_patient_id: issuer,
    })
    .onConflict((conflict) =>
      // The target is the unique index patients_identity_idx (migration 0009), spelled as it is.
      // With nothing to update, a no-op update still lets RETURNING hand back the existing row.
      conflict.expression(sql`patient_id, (coalesce(issuer_of_patient_id, ''))`).doUpdateSet(Object.keys(updates).length > 0 ? updates : { patient_id: attributes.patientId }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toPatient(row);
}

/** The record of this PatientID under this issuer (null or absent: the one without an issuer). */
export async function findPatientByPatientId(db: Kysely<Database>, patientId: string, issuerOfPatientId: string | null = null): Promise<Patient | undefined> {
  const issuer = issuerKey(issuerOfPatientId);
  const row = await db
    .selectFrom('patients')
    .selectAll()
    .where('patient_id', '=', patientId)
    .where(sql<string>`coalesce(issuer_of_patient_id, '')`, '=', issuer ?? '')
    .executeTakeFirst();
  return row === undefined ? undefined : toPatient(row);
}

export async function findPatientById(db: Kysely<Database>, id: number): Promise<Patient | undefined> {
  const row = await db.selectFrom('patients').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toPatient(row);
}

/**
 * Links a patient account to the record of exactly this PatientID and issuer (none by default),
 * creating a bare record when images have not been imported yet (the sync fills in name, birth
 * date and sex later).
 */
export async function linkPatientUser(db: Kysely<Database>, username: string, patientId: string, issuerOfPatientId: string | null = null): Promise<Patient> {
  const name = normalizeUsername(username);
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'role']).where('username', '=', name).executeTakeFirst();
    if (user === undefined) throw new RegistryError('USER_NOT_FOUND', `no user "${name}"`);
    if (user.role !== 'patient') {
      throw new RegistryError('ROLE_MISMATCH', `only a patient account can be linked to a patient record ("${name}" is ${user.role})`);
    }
    const patient = await upsertPatient(trx, { patientId, issuerOfPatientId });
    await trx.updateTable('users').set({ patient_id: patient.id }).where('id', '=', user.id).execute();
    return patient;
  });
}
