import { readFile } from 'node:fs/promises';
import type { RsDatabase } from '../db/database.ts';
import { DicomHeaderError, readDicomHeader } from '../dicom/dicom-header.ts';
import type { DicomInstanceHeader } from '../dicom/dicom-header.ts';
import { assertPatientId } from '../patients/patient-repository.ts';
import { RegistryError } from '../registry-error.ts';
import { findStudyByUid, upsertImportedStudy } from '../studies/study-repository.ts';
import { OrthancClient, OrthancError } from './orthanc-client.ts';
import type { OrthancConnection } from './orthanc-client.ts';

export interface ImportProgress {
  /** Files handled so far, including this one. */
  done: number;
  total: number;
  file: string;
  outcome: 'stored' | 'already_stored' | 'failed';
  reason?: string;
}

export interface ImportFailure {
  file: string;
  reason: string;
}

export interface ImportSummary {
  files: number;
  instancesStored: number;
  alreadyStored: number;
  /** Studies recorded in the registry by this import. */
  studies: number;
  patients: number;
  studyInstanceUids: string[];
  failed: ImportFailure[];
}

export interface ImportOptions {
  files: readonly string[];
  orthanc: OrthancConnection;
  db: RsDatabase;
  /** Uploads in flight at once. */
  concurrency?: number;
  onProgress?: (progress: ImportProgress) => void;
  fetch?: typeof fetch;
  now?: Date;
}

interface StudyInProgress {
  first: DicomInstanceHeader;
  orthancStudyId: string;
  modalities: Set<string>;
  series: Set<string>;
  instances: Set<string>;
  files: string[];
}

/**
 * Sends DICOM Part 10 files to Orthanc (POST /instances) and records their patients and studies in
 * the registry. Each file is checked before upload, so nothing reaches Orthanc that the registry
 * could not record. Per-file problems end up in `failed` with a readable reason; only a registry
 * (database) failure throws.
 */
export async function importDicomFiles(options: ImportOptions): Promise<ImportSummary> {
  const { files, db, onProgress } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const client = new OrthancClient(options.orthanc, options.fetch === undefined ? {} : { fetch: options.fetch });
  const studies = new Map<string, StudyInProgress>();
  const failed: ImportFailure[] = [];
  let instancesStored = 0;
  let alreadyStored = 0;
  let done = 0;

  const handle = async (file: string): Promise<void> => {
    try {
      const bytes = await readLocalFile(file);
      const header = readDicomHeader(bytes);
      assertPatientId(header.patientId);
      const stored = await client.storeInstance(bytes);
      if (stored.status === 'Success') instancesStored += 1;
      else alreadyStored += 1;
      const study = studies.get(header.studyInstanceUid) ?? {
        first: header,
        orthancStudyId: stored.studyId,
        modalities: new Set<string>(),
        series: new Set<string>(),
        instances: new Set<string>(),
        files: [],
      };
      studies.set(header.studyInstanceUid, study);
      for (const modality of header.modalities) study.modalities.add(modality);
      study.series.add(header.seriesInstanceUid);
      study.instances.add(header.sopInstanceUid);
      study.files.push(file);
      done += 1;
      onProgress?.({ done, total: files.length, file, outcome: stored.status === 'Success' ? 'stored' : 'already_stored' });
    } catch (error) {
      const reason = failureReason(error);
      failed.push({ file, reason });
      done += 1;
      onProgress?.({ done, total: files.length, file, outcome: 'failed', reason });
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next];
      next += 1;
      if (file !== undefined) await handle(file);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));

  const recorded: string[] = [];
  const patients = new Set<string>();
  for (const [studyInstanceUid, study] of studies) {
    const counts = await countsFromOrthanc(client, study);
    const existing = await findStudyByUid(db, studyInstanceUid);
    const { first } = study;
    try {
      await upsertImportedStudy(
        db,
        {
          studyInstanceUid,
          patient: { patientId: first.patientId, name: first.patientName, birthDate: first.patientBirthDate, sex: first.patientSex },
          accessionNumber: first.accessionNumber,
          // A partial re-import must not forget modalities recorded from earlier files.
          modalities: [...new Set([...(existing?.modalities ?? []), ...study.modalities])],
          studyDate: first.studyDate,
          studyTime: first.studyTime,
          description: first.studyDescription,
          numberOfSeries: counts.countSeries,
          numberOfInstances: counts.countInstances,
          orthancId: study.orthancStudyId,
        },
        options.now === undefined ? {} : { now: options.now },
      );
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      for (const file of study.files) failed.push({ file, reason: `stored in Orthanc but not recorded: ${error.message}` });
      continue;
    }
    recorded.push(studyInstanceUid);
    patients.add(first.patientId);
  }

  return {
    files: files.length,
    instancesStored,
    alreadyStored,
    studies: recorded.length,
    patients: patients.size,
    studyInstanceUids: recorded,
    failed,
  };
}

async function readLocalFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
    throw new ImportFileError(code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : 'cannot read the file');
  }
}

class ImportFileError extends Error {}

// Orthanc knows the whole study (earlier imports and other sources); fall back to what this run saw.
async function countsFromOrthanc(client: OrthancClient, study: StudyInProgress): Promise<{ countSeries: number; countInstances: number }> {
  try {
    return await client.studyStatistics(study.orthancStudyId);
  } catch {
    return { countSeries: study.series.size, countInstances: study.instances.size };
  }
}

function failureReason(error: unknown): string {
  if (error instanceof ImportFileError || error instanceof DicomHeaderError || error instanceof OrthancError || error instanceof RegistryError) return error.message;
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}
