import { sql } from 'kysely';
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Database, StudyRow } from '../db/schema.ts';
import { upsertPatient } from '../patients/patient-repository.ts';
import type { PatientAttributes } from '../patients/patient-repository.ts';
import type { StudyAccessSubject } from '../policy/study-access-policy.ts';
import type { ChangeAudit } from '../audit/audit-actor.ts';
import { appendAuditInTransaction } from '../audit/audit-log.ts';
import { mappedPhysician } from '../physicians/physician-directory.ts';
import { physicianNameKey } from '../physicians/physician-name.ts';
import { RegistryError } from '../registry-error.ts';
import type { Role } from '../users/roles.ts';
import { normalizeUsername } from '../users/username.ts';
import type { StudyStatus } from './study-status.ts';

export interface Study {
  id: number;
  studyInstanceUid: string;
  /** patients.id */
  patientRecordId: number;
  /** users.id of the ordering physician. */
  orderingPhysicianId: number | null;
  /** users.id of the reading radiologist. */
  radiologistId: number | null;
  accessionNumber: string | null;
  /** Modalities in the study, e.g. `['CT', 'SR']`. */
  modalities: string[];
  studyDate: string | null;
  studyTime: string | null;
  description: string | null;
  status: StudyStatus;
  numberOfSeries: number;
  numberOfInstances: number;
  orthancId: string | null;
  importedAt: string | null;
}

/** A study as the PACS describes it after an import. */
export interface ImportedStudy {
  studyInstanceUid: string;
  patient: PatientAttributes;
  accessionNumber: string | null;
  modalities: readonly string[];
  studyDate: string | null;
  studyTime: string | null;
  description: string | null;
  numberOfSeries: number;
  numberOfInstances: number;
  orthancId: string | null;
  /** ReferringPhysicianName as the PACS gives it; absent leaves the stored one (and the ordering physician) alone. */
  referringPhysicianName?: string | null;
}

// Stored as a DICOM multi-value (backslash-separated), the form QIDO answers with.
const MODALITY_SEPARATOR = '\\';

export function toStudy(row: StudyRow): Study {
  return {
    id: row.id,
    studyInstanceUid: row.study_instance_uid,
    patientRecordId: row.patient_id,
    orderingPhysicianId: row.ordering_physician_id,
    radiologistId: row.radiologist_id,
    accessionNumber: row.accession_number,
    modalities: row.modality === null || row.modality === '' ? [] : row.modality.split(MODALITY_SEPARATOR),
    studyDate: row.study_date,
    studyTime: row.study_time,
    description: row.description,
    status: row.status,
    numberOfSeries: row.number_of_series,
    numberOfInstances: row.number_of_instances,
    orthancId: row.orthanc_id,
    importedAt: row.imported_at,
  };
}

/**
 * Records (or refreshes) a study and its patient from DICOM attributes. Assignments are kept; a
 * `scheduled` study becomes `unread` now that images exist, and later statuses are left alone.
 * If the PACS now files the study under another PatientID, the study follows it. A
 * ReferringPhysicianName the physician directory maps makes that user the ordering physician.
 */
export async function upsertImportedStudy(
  db: Kysely<Database>,
  study: ImportedStudy,
  { now = new Date() }: { now?: Date } = {},
): Promise<Study> {
  const write = async (trx: Kysely<Database>) => {
    const patient = await upsertPatient(trx, study.patient);
    const referring = study.referringPhysicianName === undefined ? undefined : physicianNameKey(study.referringPhysicianName);
    const ordering = referring === undefined ? undefined : await mappedPhysician(trx, referring);
    const fields = {
      ...(referring !== undefined && { referring_physician_name: referring }),
      ...(ordering !== undefined && { ordering_physician_id: ordering }),
      patient_id: patient.id,
      accession_number: study.accessionNumber,
      modality: study.modalities.length === 0 ? null : [...new Set(study.modalities)].join(MODALITY_SEPARATOR),
      study_date: study.studyDate,
      study_time: study.studyTime,
      description: study.description,
      number_of_series: study.numberOfSeries,
      number_of_instances: study.numberOfInstances,
      orthanc_id: study.orthancId,
      imported_at: now.toISOString(),
    };
    const row = await trx
      .insertInto('studies')
      .values({ study_instance_uid: study.studyInstanceUid, status: 'unread', ...fields })
      .onConflict((conflict) =>
        conflict.column('study_instance_uid').doUpdateSet({
          ...fields,
          status: sql<StudyStatus>`case when studies.status = 'scheduled' then 'unread' else studies.status end`,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toStudy(row);
  };
  return db.isTransaction ? write(db) : db.transaction().execute(write);
}

export async function findStudyByUid(db: Kysely<Database>, studyInstanceUid: string): Promise<Study | undefined> {
  const row = await db.selectFrom('studies').selectAll().where('study_instance_uid', '=', studyInstanceUid).executeTakeFirst();
  return row === undefined ? undefined : toStudy(row);
}

/** Whether Orthanc holds the StudyInstanceUID under more than one patient (registry-sync.ts records it). */
export async function isStudyInConflict(db: Kysely<Database>, studyInstanceUid: string): Promise<boolean> {
  return (await db.selectFrom('study_conflicts').select('orthanc_id').where('study_instance_uid', '=', studyInstanceUid).limit(1).executeTakeFirst()) !== undefined;
}

export interface ListStudiesOptions {
  limit?: number;
  offset?: number;
}

/** Every study, newest first (by study date and time, then by registry id). */
export async function listStudies(db: Kysely<Database>, options: ListStudiesOptions = {}): Promise<Study[]> {
  return newestFirst(db, { kind: 'all' }, options);
}

/**
 * The studies `subject` may see, newest first: the study access policy expressed as a query, for
 * worklists and root-level searches that must never list a study the user may not open.
 * Kept in step with `canAccessStudy` by a test that compares both over every role and relation.
 */
export async function listStudiesVisibleTo(db: Kysely<Database>, subject: StudyAccessSubject, options: ListStudiesOptions = {}): Promise<Study[]> {
  return newestFirst(db, studyVisibility(subject), options);
}

async function newestFirst(db: Kysely<Database>, visibility: StudyVisibility, { limit = 100, offset = 0 }: ListStudiesOptions): Promise<Study[]> {
  if (visibility.kind === 'none') return [];
  let query = db.selectFrom('studies').selectAll();
  if (visibility.kind === 'where') query = query.where(visibility.filter);
  const rows = await query
    .orderBy('study_date', (order) => order.desc().nullsLast())
    .orderBy('study_time', (order) => order.desc().nullsLast())
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map(toStudy);
}

export type StudyVisibility =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'where'; filter: (where: ExpressionBuilder<Database, 'studies'>) => Expression<SqlBool> };

/**
 * The study access policy as SQL: which rows of `studies` `subject` may see. The one SQL form of
 * `canAccessStudy`, used by every listing (worklist, root searches).
 */
export function studyVisibility(subject: StudyAccessSubject): StudyVisibility {
  if (subject.disabled) return { kind: 'none' };
  switch (subject.role) {
    case 'admin':
      return { kind: 'all' };
    case 'doctor':
    case 'radiologist':
      return {
        kind: 'where',
        filter: (where) => where.or([where('studies.ordering_physician_id', '=', subject.id), where('studies.radiologist_id', '=', subject.id)]),
      };
    case 'patient': {
      const record = subject.patientRecordId;
      if (record === null) return { kind: 'none' };
      return { kind: 'where', filter: (where) => where('studies.patient_id', '=', record) };
    }
    case 'nurse':
    case 'lab':
      return { kind: 'none' };
  }
}

export interface StudyAssignment {
  /** Username of the ordering physician; null removes the assignment, absent leaves it. */
  orderingPhysician?: string | null;
  /** Username of the reading radiologist; null removes the assignment, absent leaves it. */
  radiologist?: string | null;
}

const ORDERING_ROLES: readonly Role[] = ['doctor', 'radiologist'];
const READING_ROLES: readonly Role[] = ['radiologist'];

/**
 * Sets the ordering physician and/or the reading radiologist. With `audit`, the change and its
 * audit row (STUDY_ASSIGNMENT: who changed what from whom to whom) commit in one transaction.
 */
export async function assignStudy(db: Kysely<Database>, studyInstanceUid: string, assignment: StudyAssignment, { audit }: { audit?: ChangeAudit } = {}): Promise<Study> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('studies').select(['id', 'ordering_physician_id', 'radiologist_id']).where('study_instance_uid', '=', studyInstanceUid).executeTakeFirst();
    if (existing === undefined) throw new RegistryError('STUDY_NOT_FOUND', `no study with StudyInstanceUID ${studyInstanceUid}`);
    const updates: { ordering_physician_id?: number | null; radiologist_id?: number | null } = {};
    if (assignment.orderingPhysician !== undefined) {
      updates.ordering_physician_id = await assigneeId(trx, assignment.orderingPhysician, ORDERING_ROLES, 'ordering physician');
    }
    if (assignment.radiologist !== undefined) {
      updates.radiologist_id = await assigneeId(trx, assignment.radiologist, READING_ROLES, 'radiologist');
    }
    const row =
      Object.keys(updates).length === 0
        ? await trx.selectFrom('studies').selectAll().where('id', '=', existing.id).executeTakeFirstOrThrow()
        : await trx.updateTable('studies').set(updates).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow();
    if (audit !== undefined) {
      const usernameOf = async (id: number | null) =>
        id === null ? '(none)' : ((await trx.selectFrom('users').select('username').where('id', '=', id).executeTakeFirst())?.username ?? `#${id}`);
      const changes: string[] = [];
      if (updates.ordering_physician_id !== undefined) {
        changes.push(`ordering physician: ${await usernameOf(existing.ordering_physician_id)} -> ${await usernameOf(updates.ordering_physician_id)}`);
      }
      if (updates.radiologist_id !== undefined) changes.push(`radiologist: ${await usernameOf(existing.radiologist_id)} -> ${await usernameOf(updates.radiologist_id)}`);
      await appendAuditInTransaction(
        trx,
        { ...audit.actor, action: 'STUDY_ASSIGNMENT', result: 'success', studyUid: studyInstanceUid, reason: changes.join('; ') || 'nothing to change' },
        { ...(audit.keys !== undefined && { keys: audit.keys }), ...(audit.now !== undefined && { now: audit.now }) },
      );
    }
    return toStudy(row);
  });
}

async function assigneeId(trx: Kysely<Database>, username: string | null, roles: readonly Role[], what: string): Promise<number | null> {
  if (username === null) return null;
  const name = normalizeUsername(username);
  const user = await trx.selectFrom('users').select(['id', 'role', 'disabled']).where('username', '=', name).executeTakeFirst();
  if (user === undefined) throw new RegistryError('USER_NOT_FOUND', `no user "${name}"`);
  if (!roles.includes(user.role)) {
    throw new RegistryError('ROLE_MISMATCH', `"${name}" is ${user.role} and cannot be the ${what} (needs ${roles.join(' or ')})`);
  }
  if (user.disabled !== 0) throw new RegistryError('USER_DISABLED', `"${name}" is disabled and cannot be the ${what}`);
  return user.id;
}
