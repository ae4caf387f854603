import { describe, expect, it } from 'vitest';
import { patientIdLabel, searchWorklist, sortWorklist, worklistItemFromQido, type WorklistItem } from './worklist-api.ts';

const item = (patientName: string, studyDate: string, accessionNumber: string): WorklistItem => ({
  studyInstanceUid: accessionNumber,
  patientName,
  patientId: `ID-${accessionNumber}`,
  patientBirthDate: null,
  studyDate,
  studyTime: '120000',
  modalities: ['CT'],
  description: `CT of ${patientName}`,
  accessionNumber,
  status: 'unread',
});

describe('worklist search and sort (used when the server has only QIDO)', () => {
  const items = [item('DOE^JANE', '20240312', 'A2'), item('SMITH^JOHN', '20250108', 'A1'), item("O'BRIEN^SEÁN", '20250422', 'A3')];

  it('searches names, IDs, accessions and descriptions without regard to case', () => {
    expect(searchWorklist(items, 'smith').map((i) => i.accessionNumber)).toEqual(['A1']);
    expect(searchWorklist(items, 'a3').map((i) => i.accessionNumber)).toEqual(['A3']);
    expect(searchWorklist(items, '  ')).toHaveLength(3);
    for (const q of ['DOE, JANE', 'Jane Doe', 'doe^jane']) expect(searchWorklist(items, q).map((i) => i.patientName), q).toEqual(['DOE^JANE']);
  });

  it('sorts by date, newest first, or by name', () => {
    expect(sortWorklist(items, 'studyDate', 'desc').map((i) => i.accessionNumber)).toEqual(['A3', 'A1', 'A2']);
    expect(sortWorklist(items, 'patientName', 'asc').map((i) => i.patientName)).toEqual(['DOE^JANE', "O'BRIEN^SEÁN", 'SMITH^JOHN']);
  });
});

describe('the patient ID column', () => {
  it('names the issuer where the PACS gives one, so two issuers\' patients of one PatientID are told apart', () => {
    expect(patientIdLabel({ patientId: '12345', issuerOfPatientId: 'HOSP-A' })).toBe('12345 (issuer HOSP-A)');
    expect(patientIdLabel({ patientId: '12345', issuerOfPatientId: null })).toBe('12345');
    expect(patientIdLabel({ patientId: '12345' })).toBe('12345');
    const study = { '00100020': { vr: 'LO', Value: ['12345'] }, '00100021': { vr: 'LO', Value: ['HOSP-B'] } };
    expect(patientIdLabel(worklistItemFromQido(study))).toBe('12345 (issuer HOSP-B)');
  });

  it('is searched with its issuer, as the gate does: "HOSP-A" or "12345 hosp-a" finds that issuer\'s patient only', () => {
    const study = (issuer: string) => worklistItemFromQido({ '00100020': { vr: 'LO', Value: ['12345'] }, '00100021': { vr: 'LO', Value: [issuer] } });
    const items = [study('HOSP-A'), study('HOSP-B')];
    for (const q of ['HOSP-A', '12345 hosp-a']) expect(searchWorklist(items, q).map((i) => i.issuerOfPatientId), q).toEqual(['HOSP-A']);
    expect(searchWorklist(items, '12345').map((i) => i.issuerOfPatientId)).toEqual(['HOSP-A', 'HOSP-B']);
    expect(searchWorklist(items, '12345 HOSP-C')).toEqual([]);
  });
});
