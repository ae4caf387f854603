import { describe, expect, it } from 'vitest';
import { ROLES } from '../users/roles.ts';
import type { Role } from '../users/roles.ts';
import { canAccessStudy } from './study-access-policy.ts';
import type { StudyAccessSubject, StudyAccessTarget } from './study-access-policy.ts';

const USER_ID = 10;
const OWN_RECORD = 100;
const OTHER_RECORD = 200;

/** How a study relates to the user under test. */
const RELATIONS = {
  'unrelated (others assigned)': { patientRecordId: OTHER_RECORD, orderingPhysicianId: 11, radiologistId: 12 },
  'unassigned': { patientRecordId: OTHER_RECORD, orderingPhysicianId: null, radiologistId: null },
  'ordering physician': { patientRecordId: OTHER_RECORD, orderingPhysicianId: USER_ID, radiologistId: 12 },
  'reading radiologist': { patientRecordId: OTHER_RECORD, orderingPhysicianId: 11, radiologistId: USER_ID },
  'ordering and reading': { patientRecordId: OTHER_RECORD, orderingPhysicianId: USER_ID, radiologistId: USER_ID },
  'of the linked patient record': { patientRecordId: OWN_RECORD, orderingPhysicianId: 11, radiologistId: 12 },
} satisfies Record<string, StudyAccessTarget>;

type Relation = keyof typeof RELATIONS;

const ALL = Object.keys(RELATIONS) as Relation[];

/** The relations that grant each role access; everything else must be refused. */
const GRANTED: Record<Role, readonly Relation[]> = {
  admin: ALL,
  doctor: ['ordering physician', 'reading radiologist', 'ordering and reading'],
  radiologist: ['ordering physician', 'reading radiologist', 'ordering and reading'],
  patient: ['of the linked patient record'],
  nurse: [],
  lab: [],
};

function subject(role: Role, overrides: Partial<StudyAccessSubject> = {}): StudyAccessSubject {
  return { id: USER_ID, role, patientRecordId: role === 'patient' ? OWN_RECORD : null, disabled: false, ...overrides };
}

describe('canAccessStudy', () => {
  for (const role of ROLES) {
    for (const relation of ALL) {
      const expected = GRANTED[role].includes(relation);
      it(`${role} ${expected ? 'may' : 'may not'} see a study ${relation}`, () => {
        expect(canAccessStudy(subject(role), RELATIONS[relation])).toBe(expected);
      });
    }
  }

  for (const role of ROLES) {
    it(`a disabled ${role} sees nothing`, () => {
      for (const relation of ALL) expect(canAccessStudy(subject(role, { disabled: true }), RELATIONS[relation])).toBe(false);
    });
  }

  it('a patient account without a linked record sees nothing, not even unassigned studies', () => {
    const unlinked = subject('patient', { patientRecordId: null });
    for (const relation of ALL) expect(canAccessStudy(unlinked, RELATIONS[relation])).toBe(false);
  });

  it('a patient whose user id happens to equal an assignee id gains nothing from it', () => {
    expect(canAccessStudy(subject('patient'), { patientRecordId: OTHER_RECORD, orderingPhysicianId: USER_ID, radiologistId: USER_ID })).toBe(false);
  });

  it('staff gain nothing from a user id that equals the patient record id', () => {
    for (const role of ['doctor', 'radiologist', 'nurse', 'lab'] as const) {
      expect(canAccessStudy(subject(role), { patientRecordId: USER_ID, orderingPhysicianId: null, radiologistId: null })).toBe(false);
    }
  });

  it('refuses a role it does not know instead of guessing', () => {
    expect(() => canAccessStudy(subject('superuser' as Role), RELATIONS.unassigned)).toThrow(/no study access rule/);
  });
});
