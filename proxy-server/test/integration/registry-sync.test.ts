import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshUidCopies, loadStackConfig, pydicomDataDir, storescu, type SampleCopy } from '@reading-station/stack';
import { DICOM_JSON, accessToken, auditRows, bearer, call, runningStack, type RunningStack } from '../support/gate-client.ts';

// Studies that reach Orthanc the normal way, a modality's C-STORE, appear in the registry by
// themselves (the gate follows Orthanc's changes feed); a study deleted in Orthanc leaves it.
// The files are pydicom's character-set corpus, made by others, with fresh UIDs for every run.

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../src/cli.ts');

let stack: RunningStack;
let workDir: string;
let samples: SampleCopy[] = [];
/** Seconds Orthanc waits before calling a study stable (the stack's setting). */
const stableAge = loadStackConfig().orthancStableAgeSeconds;

interface WorklistItem {
  studyInstanceUid: string;
  patientName: string | null;
  patientId: string;
}

async function adminWorklist(): Promise<WorklistItem[]> {
  const reply = await call(stack, '/api/ris/worklist?limit=500', { headers: bearer(await accessToken(stack, 'admin')) });
  expect(reply.status).toBe(200);
  return (JSON.parse(reply.body.toString('utf8')) as { items: WorklistItem[] }).items;
}

async function orthanc(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.orthanc.url}${pathname}`, { ...init, headers: { authorization: stack.orthancAuthorization, ...init.headers } });
}

async function orthancStudyId(studyInstanceUid: string): Promise<string | undefined> {
  const response = await orthanc('/tools/lookup', { method: 'POST', body: studyInstanceUid });
  const found = (await response.json()) as Array<{ Type: string; ID: string }>;
  return found.find((entry) => entry.Type === 'Study')?.ID;
}

/** Polls until `check` holds or `ms` pass; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const EXPECTED_NAMES: Record<string, string> = {
  'chrKoreanMulti.dcm': '김희중',
  'chrJapMulti.dcm': 'やまだ^たろう',
  'chrX1.dcm': 'Wang^XiaoDong=王^小東',
  'chrGreek.dcm': 'Διονυσιος',
  'chrHbrw.dcm': 'שרון^דבורה',
  'chrArab.dcm': 'قباني^لنزار',
  'chrRuss.dcm': 'Люкceмбypг',
};

/**
 * Files whose PatientName Orthanc 1.13 decodes differently from pydicom (docs/facts.md, "Orthanc
 * and character sets"): with `ISO 2022 IR 6\ISO 2022 IR 87` it leaves the escape sequences in
 * place; with `ISO 2022 IR 13\ISO 2022 IR 87` it decodes the katakana group and mangles the
 * Kanji and hiragana ones. Measured, so a change in Orthanc shows up here.
 */
const ORTHANC_DECODES_OTHERWISE = ['chrH32.dcm', 'chrJapMultiExplicitIR6.dcm'];

beforeAll(async () => {
  stack = runningStack();
  workDir = mkdtempSync(path.join(tmpdir(), 'rs-registry-sync-'));
  const charsets = path.join(await pydicomDataDir(), 'charset_files');
  const sources = readdirSync(charsets)
    .filter((name) => name.endsWith('.dcm'))
    .map((name) => path.join(charsets, name));
  // Bare data sets without a SOP Class (chrSQEncoding*) cannot travel over DICOM.
  const tag = randomBytes(3).toString('hex');
  samples = (await freshUidCopies(sources, workDir, { ownPatients: tag })).filter((sample) => sample.sopClassUid !== '');
});

afterAll(async () => {
  // Leave the registry as the other suites expect it: only the demo cohort.
  for (const sample of samples) {
    const id = await orthancStudyId(sample.studyInstanceUid);
    if (id !== undefined) await orthanc(`/studies/${id}`, { method: 'DELETE' });
  }
  const sent = new Set(samples.map((sample) => sample.studyInstanceUid));
  await within(15_000, async () => (await adminWorklist()).every((item) => !sent.has(item.studyInstanceUid)), 'the registry forgets the sent studies');
  rmSync(workDir, { recursive: true, force: true });
});

describe('the registry follows Orthanc', () => {
  it('records every study a modality stores, with every group of the patient name, within the stable age + 2 s', async () => {
    const result = await storescu({ port: stack.dicom.port, calledAet: stack.dicom.aet, callingAet: 'DEMO_MODALITY' }, samples.map((sample) => sample.file));
    expect(result.ok, result.output).toBe(true);
    const sentAt = Date.now();
    const byUid = new Map(samples.map((sample) => [sample.studyInstanceUid, sample]));
    let items: WorklistItem[] = [];
    await within((stableAge + 2) * 1000, async () => {
      items = (await adminWorklist()).filter((item) => byUid.has(item.studyInstanceUid));
      return items.length === samples.filter((sample) => sample.patientId !== '').length;
    }, 'every sent study in the admin worklist');
    expect(Date.now() - sentAt).toBeLessThanOrEqual((stableAge + 2) * 1000 + 1000);

    const disagreements: string[] = [];
    for (const item of items) {
      const sample = byUid.get(item.studyInstanceUid)!;
      const file = path.basename(sample.source);
      // Orthanc's decoding and pydicom's agree, group by group (trailing empty groups aside).
      const ours = item.patientName?.replace(/=+$/, '') ?? '';
      if (ours !== sample.patientName.replace(/=+$/, '')) disagreements.push(`${file}: ${ours} ≠ ${sample.patientName}`);
      const expected = EXPECTED_NAMES[file];
      if (expected !== undefined) expect(item.patientName, file).toContain(expected);
    }
    expect(disagreements.sort()).toEqual(ORTHANC_DECODES_OTHERWISE.map((file) => expect.stringMatching(new RegExp(`^${file.replace('.', '\\.')}: `))));
    // Each named file really was among the recorded studies.
    const recordedFiles = new Set(items.map((item) => path.basename(byUid.get(item.studyInstanceUid)!.source)));
    for (const file of Object.keys(EXPECTED_NAMES)) expect(recordedFiles, file).toContain(file);
  });

  it('lets a patient account linked to the PatientID see exactly its study through DICOMweb', async () => {
    const sample = samples.find((s) => s.source.endsWith('chrKoreanMulti.dcm'))!;
    const username = `pat.sync.${randomBytes(3).toString('hex')}`;
    const password = randomBytes(12).toString('base64url');
    await run(process.execPath, [cli, 'user', 'add', '--username', username, '--role', 'patient', '--display-name', 'Sync Patient', '--patient-id', sample.patientId], {
      env: { ...process.env, RS_DB_FILENAME: stack.gate.database, RS_NEW_PASSWORD: password },
    });
    const login = await call(stack, '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password, client: 'desktop' }),
    });
    expect(login.status, login.text).toBe(200);
    const token = (JSON.parse(login.text) as { accessToken: string }).accessToken;
    const studies = await call(stack, '/api/ris/dicom-web/studies', { headers: { ...bearer(token), accept: DICOM_JSON } });
    expect(studies.status).toBe(200);
    const uids = (JSON.parse(studies.text) as Array<Record<string, { Value: string[] }>>).map((study) => study['0020000D']!.Value[0]);
    const samePatient = samples.filter((s) => s.patientId === sample.patientId).map((s) => s.studyInstanceUid);
    expect(uids.sort()).toEqual(samePatient.sort());
    const series = await call(stack, `/api/ris/dicom-web/studies/${sample.studyInstanceUid}/series`, { headers: { ...bearer(token), accept: DICOM_JSON } });
    expect(series.status).toBe(200);
  });

  it('forgets a study deleted in Orthanc: gone from the worklist, its requests refused and audited', async () => {
    const sample = samples.find((s) => s.source.endsWith('chrGerm.dcm'))!;
    const id = await orthancStudyId(sample.studyInstanceUid);
    expect(id).toBeDefined();
    expect((await orthanc(`/studies/${id}`, { method: 'DELETE' })).status).toBe(200);
    await within(10_000, async () => (await adminWorklist()).every((item) => item.studyInstanceUid !== sample.studyInstanceUid), 'the deleted study leaves the worklist');
    const reply = await call(stack, `/api/ris/dicom-web/studies/${sample.studyInstanceUid}/series`, { headers: { ...bearer(await accessToken(stack, 'admin')), accept: DICOM_JSON } });
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'STUDY_NOT_FOUND' });
    const rows = auditRows(stack, [reply.requestId!]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ study_uid: sample.studyInstanceUid, username: 'admin' });
    expect(rows[0]!.result).not.toBe('allowed');
  });
});
