import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPatientByPatientId } from '../patients/patient-repository.ts';
import { findStudyByUid, listStudies } from '../studies/study-repository.ts';
import { dicomFile } from '../testing/dicom-fixtures.ts';
import type { FixtureInstance } from '../testing/dicom-fixtures.ts';
import { OrthancStandIn } from '../testing/orthanc-stand-in.ts';
import { createTempDatabase } from '../testing/temp-database.ts';
import type { TempDatabase } from '../testing/temp-database.ts';
import { importDicomFiles } from './import.ts';
import type { ImportProgress } from './import.ts';

const STUDY_A = '1.2.826.0.1.3680043.8.498.100';
const STUDY_B = '1.2.826.0.1.3680043.8.498.200';

let temp: TempDatabase;
let orthanc: OrthancStandIn;
let baseUrl: string;

beforeEach(async () => {
  temp = await createTempDatabase();
  orthanc = new OrthancStandIn();
  baseUrl = await orthanc.start();
});

afterEach(async () => {
  await orthanc.stop();
  await temp.dispose();
});

function write(name: string, content: Uint8Array | string): string {
  const file = path.join(temp.dir, 'incoming', name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const patientA = { patientId: 'P-A', patientName: 'DOE^JANE', patientBirthDate: '19800101', patientSex: 'F' };
const studyA = { ...patientA, studyInstanceUid: STUDY_A, accessionNumber: 'ACC-A', studyDate: '20261127', studyTime: '0930', studyDescription: 'CT chest' };

function instance(overrides: Partial<FixtureInstance> & Pick<FixtureInstance, 'seriesInstanceUid' | 'sopInstanceUid'>): Uint8Array {
  return dicomFile({ ...studyA, modality: 'CT', ...overrides });
}

function goodFiles(): string[] {
  return [
    write('a/1.dcm', instance({ seriesInstanceUid: `${STUDY_A}.1`, sopInstanceUid: `${STUDY_A}.1.1` })),
    write('a/2.dcm', instance({ seriesInstanceUid: `${STUDY_A}.1`, sopInstanceUid: `${STUDY_A}.1.2` })),
    write('a/3.dcm', instance({ seriesInstanceUid: `${STUDY_A}.2`, sopInstanceUid: `${STUDY_A}.2.1`, modality: 'SR' })),
    write(
      'b/1.dcm',
      dicomFile({ patientId: 'P-B', patientName: 'ROE^RICHARD', studyInstanceUid: STUDY_B, seriesInstanceUid: `${STUDY_B}.1`, sopInstanceUid: `${STUDY_B}.1.1`, modality: 'MR' }),
    ),
  ];
}

const credentials = () => ({ baseUrl, username: orthanc.username, password: orthanc.password });

describe('importDicomFiles', () => {
  it('stores every file in Orthanc and records patients and studies with their counts', async () => {
    const progress: ImportProgress[] = [];
    const now = new Date('2026-11-27T12:00:00.000Z');
    const summary = await importDicomFiles({ files: goodFiles(), orthanc: credentials(), db: temp.db, onProgress: (event) => progress.push(event), now });

    expect(summary).toEqual({
      files: 4,
      instancesStored: 4,
      alreadyStored: 0,
      studies: 2,
      patients: 2,
      studyInstanceUids: expect.arrayContaining([STUDY_A, STUDY_B]),
      failed: [],
    });
    expect(progress.map((event) => event.done).sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    expect(progress.every((event) => event.total === 4 && event.outcome === 'stored')).toBe(true);

    const a = await findStudyByUid(temp.db, STUDY_A);
    const patient = await findPatientByPatientId(temp.db, 'P-A');
    expect(patient).toMatchObject({ name: 'DOE^JANE', birthDate: '19800101', sex: 'F' });
    expect(a).toMatchObject({
      patientRecordId: patient?.id,
      accessionNumber: 'ACC-A',
      modalities: expect.arrayContaining(['CT', 'SR']),
      studyDate: '20261127',
      studyTime: '0930',
      description: 'CT chest',
      status: 'unread',
      numberOfSeries: 2,
      numberOfInstances: 3,
      orthancId: expect.stringMatching(/^study-/),
      importedAt: '2026-11-27T12:00:00.000Z',
    });
    expect(await findStudyByUid(temp.db, STUDY_B)).toMatchObject({ numberOfSeries: 1, numberOfInstances: 1, modalities: ['MR'] });
  });

  it('counts what Orthanc already had and keeps the registry as it was', async () => {
    const files = goodFiles();
    await importDicomFiles({ files, orthanc: credentials(), db: temp.db });
    const again = await importDicomFiles({ files, orthanc: credentials(), db: temp.db, concurrency: 1 });
    expect(again).toMatchObject({ files: 4, instancesStored: 0, alreadyStored: 4, studies: 2, patients: 2, failed: [] });
    expect(await listStudies(temp.db)).toHaveLength(2);
    expect(await findStudyByUid(temp.db, STUDY_A)).toMatchObject({ numberOfSeries: 2, numberOfInstances: 3 });
  });

  it('counts the whole study from Orthanc when only part of it is imported', async () => {
    const [first, second, third] = goodFiles();
    await importDicomFiles({ files: [first!, second!], orthanc: credentials(), db: temp.db });
    expect(await findStudyByUid(temp.db, STUDY_A)).toMatchObject({ numberOfSeries: 1, numberOfInstances: 2, modalities: ['CT'] });
    await importDicomFiles({ files: [third!], orthanc: credentials(), db: temp.db });
    expect(await findStudyByUid(temp.db, STUDY_A)).toMatchObject({ numberOfSeries: 2, numberOfInstances: 3, modalities: ['CT', 'SR'] });
  });

  it('falls back to its own counts when Orthanc cannot give statistics', async () => {
    orthanc.statisticsAvailable = false;
    await importDicomFiles({ files: goodFiles(), orthanc: credentials(), db: temp.db });
    expect(await findStudyByUid(temp.db, STUDY_A)).toMatchObject({ numberOfSeries: 2, numberOfInstances: 3 });
  });

  it('reports each bad file with a clear reason and imports the rest', async () => {
    orthanc.refuse.add(`${STUDY_A}.9.1`);
    const notDicom = write('notes.txt', 'radiology notes');
    const noPatient = write('no-patient.dcm', instance({ patientId: undefined, seriesInstanceUid: `${STUDY_A}.9`, sopInstanceUid: `${STUDY_A}.9.2` }));
    const badPatient = write('bad-patient.dcm', instance({ patientId: 'x'.repeat(65), seriesInstanceUid: `${STUDY_A}.9`, sopInstanceUid: `${STUDY_A}.9.3` }));
    const refused = write('refused.dcm', instance({ seriesInstanceUid: `${STUDY_A}.9`, sopInstanceUid: `${STUDY_A}.9.1` }));
    const missing = path.join(temp.dir, 'incoming', 'gone.dcm');
    const good = goodFiles();

    const summary = await importDicomFiles({ files: [...good, notDicom, noPatient, badPatient, refused, missing], orthanc: credentials(), db: temp.db });
    expect(summary).toMatchObject({ files: 9, instancesStored: 4, studies: 2, patients: 2 });
    expect(summary.failed).toEqual(
      expect.arrayContaining([
        { file: notDicom, reason: 'not a DICOM Part 10 file (no "DICM" after the 128-byte preamble)' },
        { file: noPatient, reason: 'missing PatientID (0010,0020)' },
        { file: badPatient, reason: expect.stringMatching(/^invalid PatientID /) },
        { file: refused, reason: 'Orthanc answered HTTP 400 (Bad file format: Cannot parse an invalid DICOM file (size: 12 bytes))' },
        { file: missing, reason: 'no such file' },
      ]),
    );
    expect(summary.failed).toHaveLength(5);
    // Files the registry could not record never reach Orthanc.
    expect(orthanc.uploads).toBe(5);
  });

  it('says when Orthanc refuses the credentials, and records nothing', async () => {
    const summary = await importDicomFiles({ files: goodFiles(), orthanc: { ...credentials(), password: 'wrong' }, db: temp.db });
    expect(summary).toMatchObject({ instancesStored: 0, studies: 0, patients: 0 });
    expect(new Set(summary.failed.map((failure) => failure.reason))).toEqual(new Set(['Orthanc refused the credentials of user "importer" (HTTP 401)']));
    expect(await listStudies(temp.db)).toEqual([]);
  });

  it('says when Orthanc cannot be reached', async () => {
    await orthanc.stop();
    const summary = await importDicomFiles({ files: goodFiles().slice(0, 1), orthanc: credentials(), db: temp.db });
    expect(summary.failed).toEqual([{ file: expect.any(String), reason: `cannot reach Orthanc at ${baseUrl}: connection refused` }]);
    orthanc = new OrthancStandIn();
    await orthanc.start();
  });

  it('keeps credentials out of the URL', async () => {
    await expect(importDicomFiles({ files: [], orthanc: { ...credentials(), baseUrl: 'http://u:p@127.0.0.1:1' }, db: temp.db })).rejects.toThrow(
      'put the Orthanc user and password in their own options, not in the URL',
    );
  });

  it('imports nothing from an empty list', async () => {
    expect(await importDicomFiles({ files: [], orthanc: credentials(), db: temp.db })).toEqual({
      files: 0,
      instancesStored: 0,
      alreadyStored: 0,
      studies: 0,
      patients: 0,
      studyInstanceUids: [],
      failed: [],
    });
  });
});
