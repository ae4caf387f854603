import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { Role } from '../users/roles.ts';
import type { StudyStatus } from '../studies/study-status.ts';

// Column types are the same on SQLite and PostgreSQL on purpose:
// - timestamps are ISO-8601 UTC text (`Date#toISOString()`), which sorts chronologically and
//   hashes identically on both dialects (the audit chain depends on that);
// - flags are 0/1 integers, since SQLite has no boolean and better-sqlite3 cannot bind one;
// - DICOM dates and times (DA `YYYYMMDD`, TM `HHMMSS.FFFFFF`) keep their DICOM text form, which is
//   what QIDO matching speaks.

export interface PatientsTable {
  id: Generated<number>;
  /** DICOM PatientID (0010,0020); unique with issuer_of_patient_id (null as '') in this registry. */
  patient_id: string;
  /** DICOM PN in its Alphabetic form, e.g. `DOE^JANE`. */
  name: string | null;
  birth_date: string | null;
  sex: string | null;
  /** DICOM IssuerOfPatientID (0010,0021): with patient_id, who the patient is; null when the PACS gives none. */
  issuer_of_patient_id: Generated<string | null>;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  /** patients.id of the record a `patient` account may see; null for staff. */
  patient_id: number | null;
  disabled: Generated<number>;
  created_at: string;
}

export interface StudiesTable {
  id: Generated<number>;
  study_instance_uid: string;
  /** patients.id */
  patient_id: number;
  /** users.id of the physician who ordered the study. */
  ordering_physician_id: number | null;
  /** users.id of the radiologist assigned to read it. */
  radiologist_id: number | null;
  accession_number: string | null;
  /** ModalitiesInStudy joined with `\` as DICOM multi-values are, e.g. `CT\SR`. */
  modality: string | null;
  study_date: string | null;
  study_time: string | null;
  description: string | null;
  status: StudyStatus;
  number_of_series: Generated<number>;
  number_of_instances: Generated<number>;
  /** Orthanc's own identifier of the study, as returned by POST /instances. */
  orthanc_id: string | null;
  /** When images were last imported; null while the study is only scheduled. */
  imported_at: string | null;
  /** ReferringPhysicianName (0008,0090) as Orthanc decoded it; the physician directory maps it to the ordering physician. */
  referring_physician_name: Generated<string | null>;
}

/** Admins' map from a DICOM physician name (normalised alphabetic group) to the user it is. */
export interface PhysicianDirectoryTable {
  dicom_name: string;
  user_id: number;
  created_at: string;
}

/** A StudyInstanceUID Orthanc holds under more than one patient: one row per Orthanc study. */
export interface StudyConflictsTable {
  study_instance_uid: string;
  orthanc_id: string;
  patient_id: string | null;
  issuer_of_patient_id: string | null;
  detected_at: string;
}

export interface RefreshTokensTable {
  /** Random UUID: refresh token rows are referenced across rotations, never enumerated. */
  id: string;
  family_id: string;
  user_id: number;
  /** Hash of the opaque token; the token itself is never stored. */
  token_hash: string;
  created_at: string;
  expires_at: string;
  rotated_at: string | null;
  revoked_at: string | null;
  replaced_by_id: string | null;
  user_agent: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  request_id: string | null;
  // Copied, not referenced: audit rows must outlive (and never be rewritten by) user changes.
  user_id: number | null;
  username: string | null;
  role: string | null;
  action: string;
  study_uid: string | null;
  series_uid: string | null;
  instance_uid: string | null;
  route_kind: string | null;
  client_ip: string | null;
  user_agent: string | null;
  result: string;
  reason: string | null;
  prev_hash: string | null;
  hash: string;
  // The id of the HMAC key the hash was made with (audit/audit-keys.ts); null for rows from before
  // the chain was keyed, whose hash is a plain SHA-256.
  key_id: string | null;
}

/** Where the registry stands in a source's changes feed (`orthanc`), and who follows it now. */
export interface RegistrySyncTable {
  source: string;
  /** Seq of the last change applied; null before the first reconcile. */
  last_seq: number | string | null;
  /** When a full reconcile last completed. */
  reconciled_at: string | null;
  /** The gate process that holds the lease, and until when. */
  lease_owner: string | null;
  lease_expires_at: string | null;
  updated_at: string;
}

/** A hospital IdP account (its issuer and `sub`) linked to a local user. */
export interface IdpIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: number;
  created_at: string;
}

/** nginx's outcome for a request the gate let through (migration 0007_audit_served). */
export interface AuditServedTable {
  audit_id: number;
  /** The HTTP status nginx sent the client (Orthanc's, or nginx's own 400/502). */
  status: number;
  bytes_sent: number;
  /** 1 when nginx sent the whole answer, 0 when the client went away first. */
  completed: number;
  request_id: string | null;
  recorded_at: string;
}

/** Where a sink of the forwarded audit log stands (migration 0008_audit_forwarding). */
export interface AuditForwardingTable {
  sink: string;
  /** Id of the last audit row the sink confirmed; 0 before the first. */
  last_id: Generated<number | string>;
  /** The gate process that forwards, and until when (db/lease.ts). */
  lease_owner: string | null;
  lease_expires_at: string | null;
  updated_at: string;
}

export interface Database {
  patients: PatientsTable;
  users: UsersTable;
  studies: StudiesTable;
  refresh_tokens: RefreshTokensTable;
  audit_log: AuditLogTable;
  registry_sync: RegistrySyncTable;
  idp_identities: IdpIdentitiesTable;
  physician_directory: PhysicianDirectoryTable;
  study_conflicts: StudyConflictsTable;
  audit_served: AuditServedTable;
  audit_forwarding: AuditForwardingTable;
}

export type PatientRow = Selectable<PatientsTable>;
export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type StudyRow = Selectable<StudiesTable>;
export type StudyUpdate = Updateable<StudiesTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type NewAuditLogRow = Insertable<AuditLogTable>;
