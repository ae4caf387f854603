import { sql } from 'kysely';
import { z } from 'zod';
import type { RsDatabase } from '../db/database.ts';
import { searchTerms } from '../dicom/person-name.ts';
import type { StudyAccessSubject } from '../policy/study-access-policy.ts';
import { studyVisibility } from '../studies/study-repository.ts';
import { STUDY_STATUSES } from '../studies/study-status.ts';

export const WORKLIST_SORT_KEYS = ['studyDate', 'patientName', 'accessionNumber', 'modality', 'status'] as const;

export const worklistQuerySchema = z.strictObject({
  q: z.string().max(64).optional(),
  status: z.enum(STUDY_STATUSES).optional(),
  sort: z.enum(WORKLIST_SORT_KEYS).default('studyDate'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type WorklistQuery = z.infer<typeof worklistQuerySchema>;

/** A member of staff related to a study. Patients see the display name only, never a login name. */
export interface WorklistPerson {
  username?: string;
  displayName: string;
}

export interface WorklistItem {
  studyInstanceUid: string;
  patientName: string | null;
  patientId: string;
  /** IssuerOfPatientID: with patientId, who the patient is (the same PatientID of two issuers is two patients). */
  issuerOfPatientId: string | null;
  patientBirthDate: string | null;
  patientSex: string | null;
  studyDate: string | null;
  studyTime: string | null;
  modalities: string[];
  description: string | null;
  accessionNumber: string | null;
  status: string;
  numberOfSeries: number;
  numberOfInstances: number;
  orderingPhysician: WorklistPerson | null;
  radiologist: WorklistPerson | null;
  /** Administrators only: Orthanc holds the StudyInstanceUID under more than one patient (`registry conflicts`). */
  conflict?: true;
}

const SORT_COLUMNS = {
  studyDate: ['studies.study_date', 'studies.study_time'],
  patientName: ['patients.name'],
  accessionNumber: ['studies.accession_number'],
  modality: ['studies.modality'],
  status: ['studies.status'],
} as const;

/** Escapes LIKE wildcards so a search for `50%` finds "50%", not everything. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/**
 * Columns a search term may be found in; the patient's name in any of its component groups, and the
 * issuer beside the PatientID, since the same PatientID of two issuers is two patients.
 */
const SEARCH_COLUMNS = [
  'patients.name',
  'patients.patient_id',
  'patients.issuer_of_patient_id',
  'studies.accession_number',
  'studies.description',
  'studies.modality',
] as const;

/** The caller's worklist: only studies the access policy lets them see, searched, sorted and paged. */
export async function listWorklist(db: RsDatabase, subject: StudyAccessSubject, query: WorklistQuery): Promise<{ total: number; items: WorklistItem[] }> {
  const visibility = studyVisibility(subject);
  if (visibility.kind === 'none') return { total: 0, items: [] };
  let base = db
    .selectFrom('studies')
    .innerJoin('patients', 'patients.id', 'studies.patient_id')
    .leftJoin('users as ordering', 'ordering.id', 'studies.ordering_physician_id')
    .leftJoin('users as reader', 'reader.id', 'studies.radiologist_id');
  if (visibility.kind === 'where') base = base.where(visibility.filter);
  if (query.status) base = base.where('studies.status', '=', query.status);
  // Every term of the search (dicom/person-name.ts: `DOE, JANE`, `Jane Doe` and `doe^jane` are
  // the same two terms) must occur in one of the columns, folded the same way on both sides.
  for (const term of searchTerms(query.q ?? '')) {
    const pattern = likePattern(term);
    base = base.where((where) =>
      where.or(SEARCH_COLUMNS.map((column) => where(sql`replace(lower(${sql.ref(column)}), 'ς', 'σ')`, 'like', sql<string>`${pattern} escape '\\'`))),
    );
  }
  const count = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  let listing = base.select([
    'studies.study_instance_uid',
    'studies.study_date',
    'studies.study_time',
    'studies.modality',
    'studies.description',
    'studies.accession_number',
    'studies.status',
    'studies.number_of_series',
    'studies.number_of_instances',
    'patients.patient_id',
    'patients.issuer_of_patient_id',
    'patients.name as patient_name',
    'patients.birth_date',
    'patients.sex',
    'ordering.username as ordering_username',
    'ordering.display_name as ordering_display_name',
    'reader.username as reader_username',
    'reader.display_name as reader_display_name',
    (eb) => eb.exists(eb.selectFrom('study_conflicts').select('study_conflicts.orthanc_id').whereRef('study_conflicts.study_instance_uid', '=', 'studies.study_instance_uid')).as('conflicted'),
  ]);
  for (const column of SORT_COLUMNS[query.sort]) {
    listing = listing.orderBy(sql.ref(column), (order) => (query.order === 'asc' ? order.asc().nullsLast() : order.desc().nullsLast()));
  }
  const rows = await listing.orderBy('studies.id', query.order).limit(query.limit).offset(query.offset).execute();
  // A login name is half of a credential: staff see each other's, patients only names.
  const person = (username: string | null, displayName: string | null): WorklistPerson | null => {
    if (username === null) return null;
    const name = displayName ?? username;
    return subject.role === 'patient' ? { displayName: name } : { username, displayName: name };
  };
  return {
    total: Number(count.total),
    items: rows.map((row) => ({
      studyInstanceUid: row.study_instance_uid,
      patientName: row.patient_name,
      patientId: row.patient_id,
      issuerOfPatientId: row.issuer_of_patient_id,
      patientBirthDate: row.birth_date,
      patientSex: row.sex,
      studyDate: row.study_date,
      studyTime: row.study_time,
      modalities: row.modality ? row.modality.split('\\') : [],
      description: row.description,
      accessionNumber: row.accession_number,
      status: row.status,
      numberOfSeries: row.number_of_series,
      numberOfInstances: row.number_of_instances,
      orderingPhysician: person(row.ordering_username, row.ordering_display_name),
      radiologist: person(row.reader_username, row.reader_display_name),
      // Others cannot open such a study (STUDY_CONFLICT) and are told why when they try.
      ...(subject.role === 'admin' && Boolean(row.conflicted) && { conflict: true as const }),
    })),
  };
}
