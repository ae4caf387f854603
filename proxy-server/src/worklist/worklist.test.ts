import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RsDatabase } from '../db/database.ts';
import type { StudyAccessSubject } from '../policy/study-access-policy.ts';
import { upsertImportedStudy } from '../studies/study-repository.ts';
import { createTempDatabase } from '../testing/temp-database.ts';
import { createTempPostgres, PG_SKIP_REASON, testPgAdminUrl } from '../testing/temp-postgres.ts';
import { listWorklist, worklistQuerySchema } from './worklist.ts';

const admin: StudyAccessSubject = { id: 1, role: 'admin', patientRecordId: null, disabled: false };

/** PatientName as the PACS stores it → the study of that patient. */
const PATIENTS: Record<string, string> = {
  'DOE^JANE': '1.2.3.1',
  'SMITH^JOHN': '1.2.3.2',
  'Wang^XiaoDong=王^小東=': '1.2.3.3',
  'Yamada^Tarou=山田^太郎=やまだ^たろう': '1.2.3.4',
  'Hong^Gildong=洪^吉洞=홍^길동': '1.2.3.5',
  'Διονυσιος': '1.2.3.6',
  'ÉLISE^MARTIN': '1.2.3.7',
};

/** StudyInstanceUID → IssuerOfPatientID of the same PatientID. */
const ISSUED_STUDIES = [
  ['1.2.4.1', 'HOSP-A'],
  ['1.2.4.2', 'HOSP-B'],
] as const;

/** A study with nothing but its patient: a PatientID, its issuer (or none) and a name. */
function studyOfMrn(db: RsDatabase, studyInstanceUid: string, patientId: string, issuerOfPatientId: string | null, name: string) {
  return upsertImportedStudy(db, {
    studyInstanceUid,
    patient: { patientId, issuerOfPatientId, name },
    accessionNumber: null,
    modalities: ['CT'],
    studyDate: null,
    studyTime: null,
    description: null,
    numberOfSeries: 1,
    numberOfInstances: 1,
    orthancId: null,
  });
}

async function seed(db: RsDatabase): Promise<void> {
  let n = 0;
  for (const [name, studyInstanceUid] of Object.entries(PATIENTS)) {
    n += 1;
    await upsertImportedStudy(db, {
      studyInstanceUid,
      patient: { patientId: `P${n}`, name, birthDate: null, sex: null },
      accessionNumber: `ACC${n}`,
      modalities: ['CT'],
      studyDate: `2024010${n}`,
      studyTime: null,
      description: n === 1 ? 'CT CHEST WITH CONTRAST' : 'CT HEAD',
      numberOfSeries: 1,
      numberOfInstances: 1,
      orthancId: null,
    });
  }
  // One PatientID under two issuers: two patients, told apart by the issuer alone.
  for (const [studyInstanceUid, issuerOfPatientId] of ISSUED_STUDIES) await studyOfMrn(db, studyInstanceUid, 'MRN-12345', issuerOfPatientId, 'ROE^RICHARD');
}

async function found(db: RsDatabase, q: string): Promise<string[]> {
  const result = await listWorklist(db, admin, worklistQuerySchema.parse({ q, sort: 'patientName', order: 'asc' }));
  expect(result.total).toBe(result.items.length);
  return result.items.map((item) => item.studyInstanceUid).sort();
}

function searchRules(open: () => Promise<{ db: RsDatabase; dispose(): Promise<void> }>) {
  let db: RsDatabase;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ db, dispose } = await open());
    await seed(db);
  });
  afterAll(async () => dispose());

  it('finds a name however it is typed: "DOE, JANE", "Jane Doe", "doe^jane", partial, any case', async () => {
    for (const q of ['DOE, JANE', 'Jane Doe', 'doe^jane', 'do ja', 'JANE']) expect(await found(db, q), q).toEqual(['1.2.3.1']);
    expect(await found(db, 'Jane Smith')).toEqual([]);
  });

  it('finds a name by any of its component groups: Latin, Kanji, kana and Hangul alike', async () => {
    expect(await found(db, '小東')).toEqual(['1.2.3.3']);
    expect(await found(db, 'xiaodong WANG')).toEqual(['1.2.3.3']);
    expect(await found(db, '山田 太郎')).toEqual(['1.2.3.4']);
    expect(await found(db, 'たろう')).toEqual(['1.2.3.4']);
    expect(await found(db, '길동')).toEqual(['1.2.3.5']);
    expect(await found(db, 'gildong')).toEqual(['1.2.3.5']);
  });

  it('folds case beyond ASCII', async () => {
    expect(await found(db, 'élise')).toEqual(['1.2.3.7']);
    expect(await found(db, 'ΔΙΟΝΥΣ')).toEqual(['1.2.3.6']);
  });

  it('lets terms meet in different fields and treats LIKE wildcards as text', async () => {
    expect(await found(db, 'doe chest')).toEqual(['1.2.3.1']);
    expect(await found(db, 'acc7')).toEqual(['1.2.3.7']);
    expect(await found(db, '%')).toEqual([]);
    expect(await found(db, 'D_E')).toEqual([]);
    expect(await found(db, ' , ')).toHaveLength(Object.keys(PATIENTS).length + ISSUED_STUDIES.length);
  });

  it('finds a patient by the issuer of the PatientID, alone or with the PatientID, in any case', async () => {
    for (const q of ['HOSP-A', 'hosp-a', 'MRN-12345 HOSP-A', 'richard, hosp-a']) expect(await found(db, q), q).toEqual(['1.2.4.1']);
    expect(await found(db, 'MRN-12345 hosp-b')).toEqual(['1.2.4.2']);
    expect(await found(db, 'MRN-12345')).toEqual(['1.2.4.1', '1.2.4.2']);
    expect(await found(db, 'MRN-12345 HOSP-C')).toEqual([]);
    // A patient without an issuer is still found by the other fields.
    expect(await found(db, 'doe p1')).toEqual(['1.2.3.1']);
  });
}

describe('worklist patients', () => {
  it('lists the same PatientID of two issuers as two patients, each with its issuer', async () => {
    const temp = await createTempDatabase();
    try {
      const study = (studyInstanceUid: string, issuerOfPatientId: string | null, name: string) => studyOfMrn(temp.db, studyInstanceUid, 'MRN-1', issuerOfPatientId, name);
      await study('1.9.1', 'HOSP-A', 'DOE^JANE');
      await study('1.9.2', 'HOSP-B', 'ROE^RICHARD');
      await study('1.9.3', null, 'POE^EDGAR');
      const { items } = await listWorklist(temp.db, admin, worklistQuerySchema.parse({ sort: 'patientName', order: 'asc' }));
      expect(items.map((item) => [item.studyInstanceUid, item.patientId, item.issuerOfPatientId, item.patientName])).toEqual([
        ['1.9.1', 'MRN-1', 'HOSP-A', 'DOE^JANE'],
        ['1.9.3', 'MRN-1', null, 'POE^EDGAR'],
        ['1.9.2', 'MRN-1', 'HOSP-B', 'ROE^RICHARD'],
      ]);
    } finally {
      await temp.dispose();
    }
  });
});

describe('worklist search (SQLite)', () => {
  searchRules(createTempDatabase);
});

describe.skipIf(!testPgAdminUrl)(`worklist search (PostgreSQL)${testPgAdminUrl ? '' : ` — ${PG_SKIP_REASON}`}`, () => {
  searchRules(createTempPostgres);
});
