import { describe, expect, it } from 'vitest';

import {
  HOSTILE_IMG,
  HOSTILE_SCRIPT,
  HTJ2K_LOSSLESS,
  HTJ2K_LOSSLESS_RPCL,
  IMPLEMENTATION_CLASS_UID,
  demoCohort,
  instanceUid,
  studyRelation,
  type DemoRole,
  type DemoUser,
} from './cohort.ts';
import { isValidDicomUid } from './uid.ts';

const cohort = demoCohort();
const user = (username: string): DemoUser => {
  const found = cohort.users.find((u) => u.username === username);
  if (!found) throw new Error(`no demo user ${username}`);
  return found;
};
const related = (u: DemoUser) => cohort.studies.filter((s) => studyRelation(u, s) !== null);
const allSeries = cohort.studies.flatMap((s) => s.series);

describe('demo cohort', () => {
  it('is the same on every call', () => {
    expect(demoCohort()).toEqual(cohort);
  });

  it('has users of every role with unique usernames', () => {
    const roles = new Map<DemoRole, number>();
    for (const u of cohort.users) roles.set(u.role, (roles.get(u.role) ?? 0) + 1);
    expect(roles.get('admin')).toBe(1);
    expect(roles.get('radiologist')).toBe(2);
    expect(roles.get('doctor')).toBe(2);
    expect(roles.get('nurse')).toBe(1);
    expect(roles.get('lab')).toBe(1);
    expect(roles.get('patient')).toBe(cohort.patients.length);
    expect(new Set(cohort.users.map((u) => u.username)).size).toBe(cohort.users.length);
  });

  it('links every patient to a patient account and back', () => {
    for (const p of cohort.patients) {
      expect(user(p.username)).toMatchObject({ role: 'patient', patientId: p.patientId });
    }
    for (const u of cohort.users) {
      if (u.role === 'patient') expect(cohort.patients.some((p) => p.patientId === u.patientId)).toBe(true);
      else expect(u.patientId).toBeNull();
    }
  });

  it('assigns every study to a real doctor, radiologist and patient', () => {
    for (const s of cohort.studies) {
      expect(user(s.orderingPhysician).role).toBe('doctor');
      expect(user(s.radiologist).role).toBe('radiologist');
      expect(cohort.patients.some((p) => p.patientId === s.patientId)).toBe(true);
    }
  });

  it('has every relation the access tests need', () => {
    // A doctor who ordered studies, and has studies that are not theirs.
    expect(related(user('dr.house')).length).toBeGreaterThanOrEqual(2);
    expect(related(user('dr.grey')).length).toBeGreaterThanOrEqual(2);
    // Radiologists who read studies.
    expect(related(user('rad.chen')).length).toBeGreaterThanOrEqual(2);
    expect(related(user('rad.okafor')).length).toBeGreaterThanOrEqual(2);
    // A patient with several studies, each of them read and ordered by different people.
    const doe = related(user('pat.doe'));
    expect(doe.length).toBeGreaterThanOrEqual(3);
    expect(new Set(doe.map((s) => s.orderingPhysician)).size).toBe(2);
    expect(new Set(doe.map((s) => s.radiologist)).size).toBe(2);
    // Nurse and lab are related to nothing.
    expect(related(user('nurse.joy'))).toEqual([]);
    expect(related(user('lab.kim'))).toEqual([]);
    // Every user has a study they are not related to.
    for (const u of cohort.users) {
      expect(related(u).length, u.username).toBeLessThan(cohort.studies.length);
    }
  });

  it('has at least 3 patients, 5 studies and 1–2 series per study', () => {
    expect(cohort.patients.length).toBeGreaterThanOrEqual(3);
    expect(cohort.studies.length).toBeGreaterThanOrEqual(5);
    for (const s of cohort.studies) {
      expect(s.series.length).toBeGreaterThanOrEqual(1);
      expect(s.series.length).toBeLessThanOrEqual(2);
    }
  });

  it('has series of at least 60 slices of 512×512 and at most ~800 frames in all', () => {
    for (const s of allSeries) {
      expect(s.sliceCount).toBeGreaterThanOrEqual(60);
      expect([s.phantom.rows, s.phantom.columns]).toEqual([512, 512]);
      expect(s.sliceThicknessMm).toBe(s.phantom.sliceSpacingMm);
    }
    expect(allSeries.reduce((n, s) => n + s.sliceCount, 0)).toBeLessThanOrEqual(800);
  });

  it('uses HTJ2K lossless everywhere and HTJ2K RPCL for exactly one series', () => {
    expect(allSeries.filter((s) => s.transferSyntaxUid === HTJ2K_LOSSLESS_RPCL)).toHaveLength(1);
    expect(allSeries.filter((s) => s.transferSyntaxUid === HTJ2K_LOSSLESS)).toHaveLength(allSeries.length - 1);
  });

  it('has valid, unique UIDs', () => {
    const uids = [
      IMPLEMENTATION_CLASS_UID,
      ...cohort.studies.flatMap((s) => [s.studyInstanceUid, s.frameOfReferenceUid]),
      ...allSeries.flatMap((s) => [s.seriesInstanceUid, ...Array.from({ length: s.sliceCount }, (_, i) => instanceUid(s, i))]),
    ];
    for (const uid of uids) expect(isValidDicomUid(uid), uid).toBe(true);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('fits DICOM value lengths (SH 16, LO 64, PN 64 per group)', () => {
    for (const s of cohort.studies) {
      expect(s.accessionNumber.length).toBeLessThanOrEqual(16);
      expect(s.studyId.length).toBeLessThanOrEqual(16);
      expect(s.studyDescription.length).toBeLessThanOrEqual(64);
      expect(s.referringPhysicianName.length).toBeLessThanOrEqual(64);
      for (const se of s.series) expect(se.seriesDescription.length).toBeLessThanOrEqual(64);
    }
    for (const p of cohort.patients) {
      expect(p.patientId.length).toBeLessThanOrEqual(64);
      expect(p.patientName.length).toBeLessThanOrEqual(64);
      // PN delimiters: `=` would start another component group, `\` another value.
      expect(p.patientName).not.toMatch(/[=\\]/);
    }
  });

  it('carries the hostile strings as plain data', () => {
    const mallory = cohort.patients.find((p) => p.patientName.includes(HOSTILE_SCRIPT));
    expect(mallory).toBeDefined();
    const study = cohort.studies.find((s) => s.patientId === mallory?.patientId);
    expect(study?.studyDescription).toContain(HOSTILE_SCRIPT);
    expect(study?.studyDescription).toContain(HOSTILE_IMG);
    expect(study?.series[0]?.seriesDescription).toBe(HOSTILE_IMG);
    expect(user(mallory?.username ?? '').displayName).toContain(HOSTILE_IMG);
  });

  it('can keep only the first slices of every series', () => {
    const small = demoCohort({ maxSlicesPerSeries: 2 });
    expect(small.studies.flatMap((s) => s.series).map((s) => s.sliceCount)).toEqual(allSeries.map(() => 2));
    expect(small.studies.map((s) => s.studyInstanceUid)).toEqual(cohort.studies.map((s) => s.studyInstanceUid));
    expect(() => demoCohort({ maxSlicesPerSeries: 0 })).toThrow(RangeError);
  });
});
