import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

// Real DICOM made by others, for tests against a running stack: pydicom's test corpora (Debian's
// python3-pydicom, decoded by Debian's own python3, not whichever python3 is first on PATH) and
// dcmtk's storescu/echoscu as a modality.

const execFileAsync = promisify(execFile);

/** Debian's interpreter, the one python3-pydicom is installed for. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** pydicom's data folder (`test_files`, `charset_files`). */
export async function pydicomDataDir(): Promise<string> {
  const { stdout } = await execFileAsync(DEBIAN_PYTHON, ['-c', 'import os, pydicom.data; print(os.path.dirname(pydicom.data.__file__))']);
  return stdout.trim();
}

export interface SampleCopy {
  source: string;
  file: string;
  studyInstanceUid: string;
  sopInstanceUid: string;
  patientId: string;
  /** PatientName as pydicom decodes it: every component group, `=`-joined. */
  patientName: string;
}

const COPY_SCRIPT = `
import json, os, sys
import pydicom
from pydicom.uid import generate_uid
out_dir = sys.argv[1]
result = []
for index, source in enumerate(sys.argv[2:]):
    ds = pydicom.dcmread(source)
    study = generate_uid()
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = generate_uid()
    sop = generate_uid()
    ds.SOPInstanceUID = sop
    if 'MediaStorageSOPInstanceUID' in ds.file_meta:
        ds.file_meta.MediaStorageSOPInstanceUID = sop
    target = os.path.join(out_dir, '%03d-%s' % (index, os.path.basename(source)))
    ds.save_as(target)
    name = ds.get('PatientName')
    result.append({'source': source, 'file': target, 'studyInstanceUid': study, 'sopInstanceUid': sop,
                   'patientId': str(ds.get('PatientID', '') or ''), 'patientName': '' if name is None else str(name)})
print(json.dumps(result, ensure_ascii=False))
`;

/**
 * Copies of `sources` with fresh Study, Series and SOP Instance UIDs (one new study per file), so
 * nothing collides with what earlier runs sent. Written into `outDir`.
 */
export async function freshUidCopies(sources: readonly string[], outDir: string): Promise<SampleCopy[]> {
  const { stdout } = await execFileAsync(DEBIAN_PYTHON, ['-c', COPY_SCRIPT, outDir, ...sources], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as SampleCopy[];
}

export interface DicomPeer {
  port: number;
  /** Called AE title (Orthanc's). */
  calledAet: string;
  /** Calling AE title (the modality's). */
  callingAet: string;
}

export interface DcmtkResult {
  ok: boolean;
  output: string;
}

async function runDcmtk(command: string, args: string[]): Promise<DcmtkResult> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? failure.message}` };
  }
}

/** dcmtk's echoscu (C-ECHO). */
export function echoscu(peer: DicomPeer): Promise<DcmtkResult> {
  return runDcmtk('echoscu', ['-aet', peer.callingAet, '-aec', peer.calledAet, '127.0.0.1', String(peer.port)]);
}

/** dcmtk's storescu (C-STORE), one association for all files. */
export function storescu(peer: DicomPeer, files: readonly string[]): Promise<DcmtkResult> {
  return runDcmtk('storescu', ['-aet', peer.callingAet, '-aec', peer.calledAet, '127.0.0.1', String(peer.port), ...files]);
}
