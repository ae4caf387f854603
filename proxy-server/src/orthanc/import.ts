import { readFile } from 'node:fs/promises';
import type { RsDatabase } from '../db/database.ts';
import { CONFLICT_REASON, GONE_REASON, RegistrySync, unrecordableReason } from '../sync/registry-sync.ts';
import { OrthancClient, OrthancError, type OrthancConnection, type OrthancStudy } from './orthanc-client.ts';

// Import is just another way into Orthanc: files go to Orthanc's REST API as they are, Orthanc
// decides what it accepts (and says why it refuses the rest), and the registry learns the studies
// the way it learns every other study, from the sync that follows Orthanc. Nothing here parses
// DICOM; the registry's attributes are Orthanc's, decoded once, in one place.

export interface UploadProgress {
  /** Files handled so far, including this one. */
  done: number;
  total: number;
  file: string;
  outcome: 'stored' | 'already_stored' | 'rejected';
  reason?: string;
}

export interface ImportFailure {
  file: string;
  reason: string;
}

export interface UploadSummary {
  files: number;
  stored: number;
  alreadyStored: number;
  /** Files Orthanc refused (with its reason), or that could not be read here. */
  rejected: ImportFailure[];
  /** Orthanc studies the accepted files belong to → those files. */
  studies: Map<string, string[]>;
}

export interface UploadOptions {
  files: readonly string[];
  orthanc: Pick<OrthancClient, 'storeInstance'>;
  /** Uploads in flight at once. */
  concurrency?: number;
  onProgress?: (progress: UploadProgress) => void;
}

/**
 * POSTs each file to Orthanc's /instances, `concurrency` at a time. A file Orthanc refuses is
 * listed with Orthanc's own reason; Orthanc out of reach, or refusing the credentials, ends the
 * whole upload (an OrthancError), since every further file would fail the same way.
 */
export async function uploadFiles(options: UploadOptions): Promise<UploadSummary> {
  const { files, orthanc, onProgress } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const summary: UploadSummary = { files: files.length, stored: 0, alreadyStored: 0, rejected: [], studies: new Map() };
  // Each file's outcome by its place in `files`, so the report follows the order given, not the
  // order Orthanc happened to answer in.
  const outcomes: Array<{ studyId: string } | { reason: string } | undefined> = [];
  let done = 0;
  let fatal: OrthancError | undefined;

  const handle = async (file: string, index: number): Promise<void> => {
    let outcome: UploadProgress['outcome'];
    let reason: string | undefined;
    try {
      const stored = await orthanc.storeInstance(await readLocalFile(file));
      outcome = stored.status === 'Success' ? 'stored' : 'already_stored';
      if (outcome === 'stored') summary.stored += 1;
      else summary.alreadyStored += 1;
      outcomes[index] = { studyId: stored.studyId };
    } catch (error) {
      if (error instanceof OrthancError && orthancUnusable(error)) {
        fatal ??= error;
        return;
      }
      outcome = 'rejected';
      reason = error instanceof OrthancError ? refusalReason(error) : error instanceof LocalFileError ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
      outcomes[index] = { reason };
    }
    done += 1;
    onProgress?.({ done, total: files.length, file, outcome, ...(reason !== undefined && { reason }) });
  };

  let next = 0;
  const worker = async () => {
    while (next < files.length && fatal === undefined) {
      const index = next;
      next += 1;
      const file = files[index];
      if (file !== undefined) await handle(file, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  if (fatal !== undefined) throw fatal;
  files.forEach((file, index) => {
    const outcome = outcomes[index];
    if (outcome === undefined) return;
    if ('reason' in outcome) {
      summary.rejected.push({ file, reason: outcome.reason });
      return;
    }
    const studyFiles = summary.studies.get(outcome.studyId) ?? [];
    studyFiles.push(file);
    summary.studies.set(outcome.studyId, studyFiles);
  });
  return summary;
}

/**
 * What Orthanc 1.13's refusals of POST /instances mean, in the words of its log. An Orthanc with
 * HttpDescribeErrors off (the stack's, so that no error text of Orthanc's reaches a viewer through
 * nginx) answers with its status line alone; the meaning is added then.
 */
const STORE_REFUSALS: Readonly<Record<number, string>> = {
  400: 'Bad file format: Orthanc cannot parse it as DICOM',
  404: "none of the tags Orthanc files an instance under (PatientID, StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID) is present: a DICOMDIR or a bare data set",
};
const STATUS_LINE_ONLY = /^Orthanc answered HTTP \d+ \([^():]*\)$/;

function refusalReason(error: OrthancError): string {
  const meaning = error.status === undefined ? undefined : STORE_REFUSALS[error.status];
  return meaning !== undefined && STATUS_LINE_ONLY.test(error.message) ? `${error.message}: ${meaning}` : error.message;
}

/** No answer at all, or no admission: not about one file. */
function orthancUnusable(error: OrthancError): boolean {
  return error.status === undefined || error.status === 401 || error.status === 403;
}

export interface RegistryProgress {
  /** Studies settled so far: recorded, or known not to be. */
  settled: number;
  total: number;
}

export interface RecordedStudy {
  orthancId: string;
  studyInstanceUid: string;
  patientId: string;
  files: readonly string[];
}

export interface UnrecordedStudy {
  orthancId: string;
  studyInstanceUid: string | null;
  files: readonly string[];
  reason: string;
}

export interface RegistryOutcome {
  recorded: RecordedStudy[];
  /** Studies Orthanc holds that the registry will not (no PatientID, a UID conflict, …), with why. */
  notRecorded: UnrecordedStudy[];
  /** Studies still not recorded when the time ran out. */
  pending: UnrecordedStudy[];
  /** Whether this process recorded studies itself because no gate followed Orthanc. */
  recordedHere: boolean;
}

export interface AwaitRegistryOptions {
  db: RsDatabase;
  orthanc: Pick<OrthancClient, 'study'>;
  /** The sync's own code, to record the studies here when no gate follows Orthanc. */
  sync: Pick<RegistrySync, 'recordExclusive'>;
  /** Orthanc studies → the files of this import in each. */
  studies: ReadonlyMap<string, readonly string[]>;
  timeoutMs: number;
  pollMs?: number;
  onProgress?: (progress: RegistryProgress) => void;
}

interface Expected {
  study: OrthancStudy;
  files: readonly string[];
}

/**
 * Waits until the registry holds each of these Orthanc studies with every instance Orthanc holds
 * now (so a study that already was in the registry counts only once the new images are in it).
 * A gate following Orthanc records them when Orthanc calls them stable; while no gate holds the
 * sync's lease (none runs, or none follows Orthanc) they are recorded here by the sync's own code.
 * Studies the sync would never record are reported at once with the reason; the rest that are
 * still missing after `timeoutMs` come back as `pending`.
 */
export async function awaitRegistry(options: AwaitRegistryOptions): Promise<RegistryOutcome> {
  const { db, orthanc, sync, onProgress } = options;
  const pollMs = options.pollMs ?? 250;
  const outcome: RegistryOutcome = { recorded: [], notRecorded: [], pending: [], recordedHere: false };
  const waiting = new Map<string, Expected>();
  for (const [orthancId, files] of options.studies) {
    const study = await orthanc.study(orthancId);
    const reason = study === undefined ? GONE_REASON : unrecordableReason(study);
    if (reason !== undefined) outcome.notRecorded.push({ orthancId, studyInstanceUid: study?.studyInstanceUid ?? null, files, reason });
    else if (study !== undefined) waiting.set(orthancId, { study, files });
  }
  const total = options.studies.size;
  const report = () => onProgress?.({ settled: total - waiting.size, total });
  report();

  const started = Date.now();
  for (;;) {
    await settle(db, waiting, outcome);
    report();
    if (waiting.size === 0) break;
    const left = await sync.recordExclusive([...waiting.keys()]);
    if (left !== undefined) {
      outcome.recordedHere = true;
      for (const [orthancId, reason] of left) {
        const expected = waiting.get(orthancId);
        if (expected === undefined) continue;
        waiting.delete(orthancId);
        outcome.notRecorded.push({ orthancId, studyInstanceUid: expected.study.studyInstanceUid, files: expected.files, reason });
      }
    }
    if (Date.now() - started >= options.timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  for (const [orthancId, { study, files }] of waiting) {
    outcome.pending.push({ orthancId, studyInstanceUid: study.studyInstanceUid, files, reason: 'not in the registry yet' });
  }
  return outcome;
}

/** Moves the studies the registry now holds (or has refused as a conflict) out of `waiting`. */
async function settle(db: RsDatabase, waiting: Map<string, Expected>, outcome: RegistryOutcome): Promise<void> {
  const ids = [...waiting.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await db
      .selectFrom('studies')
      .innerJoin('patients', 'patients.id', 'studies.patient_id')
      .select(['studies.orthanc_id', 'studies.study_instance_uid', 'studies.number_of_instances', 'patients.patient_id'])
      .where('studies.orthanc_id', 'in', chunk)
      .execute();
    for (const row of rows) {
      const expected = row.orthanc_id === null ? undefined : waiting.get(row.orthanc_id);
      if (expected === undefined || row.orthanc_id === null) continue;
      if (row.study_instance_uid !== expected.study.studyInstanceUid || row.number_of_instances < expected.study.numberOfInstances) continue;
      waiting.delete(row.orthanc_id);
      outcome.recorded.push({ orthancId: row.orthanc_id, studyInstanceUid: row.study_instance_uid, patientId: row.patient_id, files: expected.files });
    }
    const conflicts = await db.selectFrom('study_conflicts').select('orthanc_id').where('orthanc_id', 'in', chunk).execute();
    for (const { orthanc_id: orthancId } of conflicts) {
      const expected = waiting.get(orthancId);
      if (expected === undefined) continue;
      waiting.delete(orthancId);
      outcome.notRecorded.push({ orthancId, studyInstanceUid: expected.study.studyInstanceUid, files: expected.files, reason: CONFLICT_REASON });
    }
  }
}

class LocalFileError extends Error {}

async function readLocalFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
    throw new LocalFileError(code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : 'cannot read the file');
  }
}

export interface ImportOptions {
  files: readonly string[];
  orthanc: OrthancConnection;
  db: RsDatabase;
  concurrency?: number;
  /** How long to wait for the registry to record the studies. */
  timeoutMs: number;
  /** Who holds the sync's lease while this process records studies itself. */
  owner?: string;
  onUpload?: (progress: UploadProgress) => void;
  onRegistry?: (progress: RegistryProgress) => void;
}

/** Uploads the files to Orthanc, then waits until the registry has recorded their studies. */
export async function importIntoOrthanc(options: ImportOptions): Promise<{ upload: UploadSummary; registry: RegistryOutcome }> {
  const orthanc = new OrthancClient(options.orthanc);
  const upload = await uploadFiles({
    files: options.files,
    orthanc,
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(options.onUpload !== undefined && { onProgress: options.onUpload }),
  });
  const sync = new RegistrySync({ db: options.db, source: orthanc, ...(options.owner !== undefined && { owner: options.owner }) });
  const registry = await awaitRegistry({
    db: options.db,
    orthanc,
    sync,
    studies: upload.studies,
    timeoutMs: options.timeoutMs,
    ...(options.onRegistry !== undefined && { onProgress: options.onRegistry }),
  });
  return { upload, registry };
}

/**
 * The first thing that kept an import from being whole (a refused file, a study the registry did
 * not record), as one line; undefined when every file is in Orthanc and every study in the
 * registry. For callers that import data they made themselves (the stack's demo, the bench).
 */
export function incompleteImport({ upload, registry }: { upload: UploadSummary; registry: RegistryOutcome }): string | undefined {
  const rejected = upload.rejected[0];
  if (rejected !== undefined) return `${upload.rejected.length} files refused; first: ${rejected.file}: ${rejected.reason}`;
  const study = registry.notRecorded[0] ?? registry.pending[0];
  if (study !== undefined) return `study ${study.studyInstanceUid ?? study.orthancId} is in Orthanc but not in the registry: ${study.reason}`;
  return undefined;
}
