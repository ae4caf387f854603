import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignStudy, upsertImportedStudy } from '../studies/study-repository.ts';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { createUser, type User } from '../users/user-repository.ts';
import { decideDicomWebRequest } from './dicomweb-gate.ts';
import { MAX_CONSTRAINED_STUDIES, classifyRootStudyQuery, constrainRootStudySearch } from './root-study-search.ts';

/** Made per run: no password is written into the sources. */
const PASSWORD = randomBytes(12).toString('base64url');

// The registry pages a non-admin's root study search: pages are complete, disjoint, in the
// worklist's order, and never hold another user's study; what the registry cannot match is left
// to Orthanc within a bounded constraint.

const uid = (n: number) => `1.2.826.0.1.3680043.8.498.5${n}`;
const MINE = 25;
let temp: TempDatabase;
let rad: User;
let other: User;
let busy: User;

beforeAll(async () => {
  temp = await createTempDatabase();
  rad = await createUser(temp.db, { username: 'rad', displayName: 'rad', role: 'radiologist', password: PASSWORD });
  other = await createUser(temp.db, { username: 'other', displayName: 'other', role: 'radiologist', password: PASSWORD });
  busy = await createUser(temp.db, { username: 'busy', displayName: 'busy', role: 'radiologist', password: PASSWORD });
  for (let n = 0; n < MINE + 5; n += 1) {
    await upsertImportedStudy(temp.db, {
      studyInstanceUid: uid(n),
      patient: { patientId: n % 2 === 0 ? 'EVEN' : 'ODD' },
      accessionNumber: `ACC${n}`,
      modalities: ['CT'],
      studyDate: `202601${String((n % 28) + 1).padStart(2, '0')}`,
      studyTime: null,
      description: null,
      numberOfSeries: 1,
      numberOfInstances: 1,
      orthancId: `o${n}`,
    });
    await assignStudy(temp.db, uid(n), { radiologist: n < MINE ? 'rad' : 'other' });
  }
  // More studies than one constraint may hold, for `busy` (rows written in one go: this is about the gate).
  const patient = await temp.db.selectFrom('patients').select('id').executeTakeFirstOrThrow();
  const rows = Array.from({ length: MAX_CONSTRAINED_STUDIES + 1 }, (_, n) => ({
    study_instance_uid: `1.2.826.0.1.3680043.8.498.6${n}`,
    patient_id: patient.id,
    radiologist_id: busy.id,
    status: 'unread' as const,
    study_date: '20250101',
  }));
  await temp.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 100) await trx.insertInto('studies').values(rows.slice(i, i + 100)).execute();
  });
});
afterAll(async () => temp.dispose());

function constraint(params: ReadonlyArray<readonly [string, string]>): string[] {
  const value = params.find(([name]) => name === 'StudyInstanceUID')?.[1];
  return value === undefined ? [] : value.split(',');
}

describe('classifyRootStudyQuery', () => {
  it('tells what the registry matches from what only Orthanc can, and paging from both', () => {
    const sorted = classifyRootStudyQuery([
      ['PatientID', 'P1'],
      ['AccessionNumber', 'A*'],
      ['StudyDate', '20260101-20260131'],
      ['PatientName', 'DOE*'],
      ['includefield', 'all'],
      ['ModalitiesInStudy', ''],
      ['limit', '10'],
      ['offset', '20'],
    ]);
    expect(sorted.filters).toEqual({ patientId: 'P1', studyDate: { from: '20260101', to: '20260131' } });
    expect(sorted.orthancOnly).toEqual([
      ['AccessionNumber', 'A*'],
      ['PatientName', 'DOE*'],
    ]);
    expect(sorted).toMatchObject({ limit: 10, offset: 20 });
    expect(sorted.others.map(([name]) => name)).toEqual(['PatientID', 'AccessionNumber', 'StudyDate', 'PatientName', 'includefield', 'ModalitiesInStudy']);
  });
});

describe('constrainRootStudySearch', () => {
  it('pages the caller’s studies completely and disjointly, without limit/offset for Orthanc', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < MINE + 10; offset += 7) {
      const page = await constrainRootStudySearch(temp.db, rad, [['limit', '7'], ['offset', String(offset)]]);
      if (page.outcome === 'empty') break;
      expect(page.outcome).toBe('constrained');
      if (page.outcome !== 'constrained') return;
      expect(page.params.some(([name]) => name === 'limit' || name === 'offset')).toBe(false);
      seen.push(...constraint(page.params));
    }
    expect(seen).toHaveLength(MINE);
    expect(new Set(seen)).toEqual(new Set(Array.from({ length: MINE }, (_, n) => uid(n))));
  });

  it('matches PatientID, AccessionNumber, StudyDate and requested UIDs in the registry, within the caller’s studies', async () => {
    const even = await constrainRootStudySearch(temp.db, rad, [['PatientID', 'EVEN']]);
    expect(even.outcome === 'constrained' && constraint(even.params).sort()).toEqual(
      Array.from({ length: MINE }, (_, n) => n).filter((n) => n % 2 === 0).map(uid).sort(),
    );
    const one = await constrainRootStudySearch(temp.db, rad, [['AccessionNumber', 'ACC3']]);
    expect(one.outcome === 'constrained' && constraint(one.params)).toEqual([uid(3)]);
    const dated = await constrainRootStudySearch(temp.db, rad, [['StudyDate', '20260102-20260103']]);
    expect(dated.outcome === 'constrained' && constraint(dated.params).sort()).toEqual([uid(1), uid(2)].sort());
    // Another radiologist's study, asked for by UID, is not in the constraint: nothing to ask.
    expect(await constrainRootStudySearch(temp.db, rad, [['StudyInstanceUID', uid(MINE + 1)]])).toEqual({ outcome: 'empty' });
    expect(await constrainRootStudySearch(temp.db, other, [['StudyInstanceUID', `${uid(0)},${uid(MINE + 1)}`]])).toMatchObject({
      outcome: 'constrained',
      studies: [{ studyInstanceUid: uid(MINE + 1) }],
    });
  });

  it('leaves other matching keys to Orthanc over every candidate, which then pages', async () => {
    const search = await constrainRootStudySearch(temp.db, rad, [['PatientName', 'DOE*'], ['limit', '5'], ['offset', '5']]);
    expect(search.outcome).toBe('constrained');
    if (search.outcome !== 'constrained') return;
    expect(constraint(search.params)).toHaveLength(MINE);
    expect(search.params).toContainEqual(['limit', '5']);
    expect(search.params).toContainEqual(['offset', '5']);
    expect(search.params).toContainEqual(['PatientName', 'DOE*']);
  });

  it('refuses rather than cuts: an unpaged search over more studies than a constraint holds, or Orthanc-only matching over them', async () => {
    expect(await constrainRootStudySearch(temp.db, busy, [])).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('page it with limit') });
    expect(await constrainRootStudySearch(temp.db, busy, [['PatientName', 'X*'], ['limit', '10']])).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('narrow it') });
    const last = await constrainRootStudySearch(temp.db, busy, [['offset', String(MAX_CONSTRAINED_STUDIES)]]);
    expect(last.outcome === 'constrained' && last.studies).toHaveLength(1);
    const decision = await decideDicomWebRequest(temp.db, busy, 'studies', '');
    expect(decision).toMatchObject({ outcome: 'refused', status: 400, code: 'INVALID_QUERY' });
  });

  it('refuses a query that, with its constraint, would be longer than Orthanc takes', async () => {
    const long = Array.from({ length: 63 }, (_, n): [string, string] => ['includefield', `${'A'.repeat(240)}${n}`]);
    expect(await constrainRootStudySearch(temp.db, rad, [...long, ['limit', '5']])).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('too long') });
    expect(await constrainRootStudySearch(temp.db, rad, [...long.slice(0, 2), ['limit', '5']])).toMatchObject({ outcome: 'constrained' });
  });
});
