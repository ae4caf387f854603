import type { Role } from '../users/roles.ts';

/** The facts about a user that decide access; a `User` from the registry satisfies it. */
export interface StudyAccessSubject {
  id: number;
  role: Role;
  /** patients.id linked to a patient account; null for staff (and for an unlinked patient). */
  patientRecordId: number | null;
  disabled: boolean;
}

/** The facts about a study that decide access; a `Study` from the registry satisfies it. */
export interface StudyAccessTarget {
  patientRecordId: number;
  orderingPhysicianId: number | null;
  radiologistId: number | null;
}

/**
 * Whether `user` may see `study`:
 * - admin: every study;
 * - doctor and radiologist: studies they ordered or are assigned to read;
 * - patient: studies of the patient record linked to their account;
 * - nurse and lab: none (their work does not need images);
 * - a disabled account: none, whatever its role.
 * Pure and total over roles: adding a role fails to compile until it is decided here.
 */
export function canAccessStudy(user: StudyAccessSubject, study: StudyAccessTarget): boolean {
  if (user.disabled) return false;
  switch (user.role) {
    case 'admin':
      return true;
    case 'doctor':
    case 'radiologist':
      return study.orderingPhysicianId === user.id || study.radiologistId === user.id;
    case 'patient':
      return user.patientRecordId !== null && study.patientRecordId === user.patientRecordId;
    case 'nurse':
    case 'lab':
      return false;
    default:
      return unreachable(user.role);
  }
}

function unreachable(role: never): never {
  throw new Error(`no study access rule for role ${String(role)}`);
}
