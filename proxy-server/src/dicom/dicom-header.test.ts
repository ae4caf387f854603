import { describe, expect, it } from 'vitest';
import { dicomFile } from '../testing/dicom-fixtures.ts';
import { DicomHeaderError, isDicomPart10, readDicomHeader } from './dicom-header.ts';

const complete = {
  patientId: 'PAT-001',
  patientName: 'DOE^JANE',
  patientBirthDate: '19800101',
  patientSex: 'F',
  studyInstanceUid: '1.2.826.0.1.3680043.8.498.10',
  seriesInstanceUid: '1.2.826.0.1.3680043.8.498.10.1',
  sopInstanceUid: '1.2.826.0.1.3680043.8.498.10.1.1',
  accessionNumber: 'ACC-7',
  studyDate: '20261127',
  studyTime: '101500',
  studyDescription: 'CT CHEST',
  modality: 'CT',
};

describe('readDicomHeader', () => {
  it('reads the patient and study attributes', () => {
    expect(readDicomHeader(dicomFile(complete))).toEqual({
      sopInstanceUid: complete.sopInstanceUid,
      seriesInstanceUid: complete.seriesInstanceUid,
      studyInstanceUid: complete.studyInstanceUid,
      patientId: 'PAT-001',
      patientName: 'DOE^JANE',
      patientBirthDate: '19800101',
      patientSex: 'F',
      accessionNumber: 'ACC-7',
      studyDate: '20261127',
      studyTime: '101500',
      studyDescription: 'CT CHEST',
      modalities: ['CT'],
    });
  });

  it('reads a file that sits inside a larger buffer', () => {
    const bytes = dicomFile(complete);
    const padded = new Uint8Array(bytes.length + 16);
    padded.set(bytes, 8);
    expect(readDicomHeader(padded.subarray(8, 8 + bytes.length)).patientId).toBe('PAT-001');
  });

  it('gives null for optional attributes that are absent', () => {
    const header = readDicomHeader(dicomFile({ patientId: 'P', studyInstanceUid: '1.2', seriesInstanceUid: '1.2.1', sopInstanceUid: '1.2.1.1' }));
    expect(header).toMatchObject({ patientName: null, patientBirthDate: null, patientSex: null, accessionNumber: null, studyDate: null, modalities: [] });
  });

  it('names the missing attribute the registry needs', () => {
    expect(() => readDicomHeader(dicomFile({ ...complete, studyInstanceUid: undefined }))).toThrow('missing StudyInstanceUID (0020,000D)');
    expect(() => readDicomHeader(dicomFile({ ...complete, patientId: undefined }))).toThrow('missing PatientID (0010,0020)');
  });

  it('refuses what is not a Part 10 file', () => {
    expect(isDicomPart10(Buffer.from('hello'))).toBe(false);
    expect(() => readDicomHeader(Buffer.from('{"not":"dicom"}'))).toThrow(DicomHeaderError);
    expect(() => readDicomHeader(Buffer.alloc(300))).toThrow('not a DICOM Part 10 file');
  });

  it('explains a truncated file', () => {
    const bytes = dicomFile(complete);
    expect(() => readDicomHeader(bytes.subarray(0, 200))).toThrow(/^unreadable DICOM: /);
  });
});
