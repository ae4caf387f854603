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
}

/** What is known about a patient; an absent field leaves the stored value as it is. */
export interface PatientAttributes {
  patientId: string;
  name?: string | null;
  birthDate?: string | null;
  sex?: string | null;
}

function toPatient(row: PatientRow): Patient {
  return { id: row.id, patientId: row.patient_id, name: row.name, birthDate: row.birth_date, sex: row.sex };
}

// DICOM LO: at most 64 characters, no backslash (the multi-value separator) or control characters.
function isValidPatientId(patientId: string): boolean {
  if (patientId.trim() === '' || patientId.length > 64 || patientId.includes('\\')) return false;
  return [...patientId].every((character) => {
    const code = character.charCodeAt(0);
    return code >= 0x20 && code !== 0x7f;
  });
}

export function assertPatientId(patientId: string): void {
  if (!isValidPatientId(patientId)) {
    throw new RegistryError('INVALID_PATIENT_ID', `invalid PatientID ${JSON.stringify(patientId)}: expected 1-64 characters without "\\" or control characters`);
  }
}

/** Inserts the patient, or updates the fields given. Works inside a transaction (pass `trx`). */
export async function upsertPatient(db: Kysely<Database>, attributes: PatientAttributes): Promise<Patient> {
  assertPatientId(attributes.patientId);
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
    })
    .onConflict((conflict) =>
      // With nothing to update, a no-op update still lets RETURNING hand back the existing row.
      conflict.column('patient_id').doUpdateSet(Object.keys(updates).length > 0 ? updates : { patient_id: attributes.patientId }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toPatient(row);
}

export async function findPatientByPatientId(db: Kysely<Database>, patientId: string): Promise<Patient | undefined> {
  const row = await db.selectFrom('patients').selectAll().where('patient_id', '=', patientId).executeTakeFirst();
  return row === undefined ? undefined : toPatient(row);
}

export async function findPatientById(db: Kysely<Database>, id: number): Promise<Patient | undefined> {
  const row = await db.selectFrom('patients').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toPatient(row);
}

/**
 * Links a patient account to the record with this PatientID, creating a bare record when images
 * have not been imported yet (the import fills in name, birth date and sex later).
 */
export async function linkPatientUser(db: Kysely<Database>, username: string, patientId: string): Promise<Patient> {
  const name = normalizeUsername(username);
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'role']).where('username', '=', name).executeTakeFirst();
    if (user === undefined) throw new RegistryError('USER_NOT_FOUND', `no user "${name}"`);
    if (user.role !== 'patient') {
      throw new RegistryError('ROLE_MISMATCH', `only a patient account can be linked to a patient record ("${name}" is ${user.role})`);
    }
    const patient = await upsertPatient(trx, { patientId });
    await trx.updateTable('users').set({ patient_id: patient.id }).where('id', '=', user.id).execute();
    return patient;
  });
}
