import { execFile } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
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
  /** Empty for a bare data set without SOP Class (storescu cannot send it). */
  sopClassUid: string;
  patientId: string;
  /** PatientName as pydicom decodes it: every component group, `=`-joined. */
  patientName: string;
}

const DESCRIBE_SCRIPT = `
import json, sys
import pydicom
result = []
for source, target in zip(sys.argv[1::2], sys.argv[2::2]):
    ds = pydicom.dcmread(target)
    name = ds.get('PatientName')
    result.append({'source': source, 'file': target, 'studyInstanceUid': str(ds.StudyInstanceUID), 'sopInstanceUid': str(ds.SOPInstanceUID),
                   'sopClassUid': str(ds.get('SOPClassUID', '') or ''),
                   'patientId': str(ds.get('PatientID', '') or ''), 'patientName': '' if name is None else str(name)})
print(json.dumps(result, ensure_ascii=False))
`;

/**
 * Copies of `sources` with fresh Study, Series and SOP Instance UIDs (one new study per file), so
 * nothing collides with what earlier runs sent. dcmtk's dcmodify changes the UIDs and leaves every
 * other element as it was; pydicom then says what each copy holds. Written into `outDir`.
 * `ownPatients` also gives every copy a PatientID of its own.
 */
export async function freshUidCopies(
  sources: readonly string[],
  outDir: string,
  options: { ownPatients?: string } = {},
): Promise<SampleCopy[]> {
  const targets = sources.map((source, index) => path.join(outDir, `${String(index).padStart(3, '0')}-${path.basename(source)}`));
  sources.forEach((source, index) => copyFileSync(source, targets[index] as string));
  await execFileAsync('dcmodify', ['-nb', '-gst', '-gse', '-gin', ...targets], { maxBuffer: 16 * 1024 * 1024 });
  const describe = async (): Promise<SampleCopy[]> => {
    const pairs = sources.flatMap((source, index) => [source, targets[index] as string]);
    const { stdout } = await execFileAsync(DEBIAN_PYTHON, ['-c', DESCRIBE_SCRIPT, ...pairs], { maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as SampleCopy[];
  };
  const copies = await describe();
  if (options.ownPatients === undefined) return copies;
  // Every copy its own patient (`<PatientID>-<tag><n>`): corpora reuse PatientIDs across files
  // whose names differ, and the registry keeps one name per patient.
  for (const [index, copy] of copies.entries()) {
    if (copy.patientId === '') continue;
    await execFileAsync('dcmodify', ['-nb', '-m', `(0010,0020)=${copy.patientId}-${options.ownPatients}${index}`, copy.file]);
  }
  return describe();
}

export interface DicomPeer {
  port: number;
  /** Called AE title (Orthanc's). */
  calledAet: string;
  /** Calling AE title (the modality's). */
  callingAet: string;
  /** Orthanc's address as the modality dials it; 127.0.0.1 when left out. */
  host?: string;
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
  return runDcmtk('echoscu', ['-aet', peer.callingAet, '-aec', peer.calledAet, peer.host ?? '127.0.0.1', String(peer.port)]);
}

/** dcmtk's storescu (C-STORE), one association for all files. */
export function storescu(peer: DicomPeer, files: readonly string[]): Promise<DcmtkResult> {
  return runDcmtk('storescu', ['-aet', peer.callingAet, '-aec', peer.calledAet, peer.host ?? '127.0.0.1', String(peer.port), ...files]);
}

const GENERATE_SCRIPT = `
import json, sys
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
out, count, options = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
patients = options['patientIds']
for n in range(count):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = patients[n % len(patients)]
    ds.PatientName = 'GENERATED^STUDY'
    ds.StudyDate = '2025%02d%02d' % (n % 12 + 1, n % 28 + 1)
    ds.StudyTime = '%06d' % n
    ds.Modality = 'OT'
    ds.AccessionNumber = 'GEN%d' % n
    if options.get('referringPhysicianName'):
        ds.ReferringPhysicianName = options['referringPhysicianName']
    ds.save_as('%s/%05d.dcm' % (out, n), write_like_original=False)
    print(ds.StudyInstanceUID)
`;

/**
 * `count` small studies (one Secondary Capture instance without pixel data each, fresh UIDs) for
 * tests at scale, written into `outDir` as `00000.dcm`, …; their PatientIDs taken in turn from
 * `patientIds`. Returns the StudyInstanceUIDs in file order.
 */
export async function generateSmallStudies(
  outDir: string,
  count: number,
  options: { patientIds: readonly string[]; referringPhysicianName?: string },
): Promise<string[]> {
  const { stdout } = await execFileAsync(DEBIAN_PYTHON, ['-c', GENERATE_SCRIPT, outDir, String(count), JSON.stringify(options)], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim().split('\n');
}
