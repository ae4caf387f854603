import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshUidCopies, loadStackConfig, pydicomDataDir, storescu, type SampleCopy } from '@reading-station/stack';
import { DICOM_JSON, FRAME_ACCEPT, accessToken, auditRows, bearer, call, runningStack, type RunningStack } from '../support/gate-client.ts';

// Relations come from the hospital's data: a study sent by a modality names its ordering
// physician in ReferringPhysicianName, which the physician directory admins keep maps to an
// account; the reading radiologist is assigned by an administrator or a RIS through the admin-only
// assignment API, and every assignment is audited. A patient is the PatientID with its
// IssuerOfPatientID: the same PatientID from two issuers is two patients, both recorded. pydicom's
// CT_small.dcm, sent over DICOM with fresh UIDs, names and patients for every run.

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../src/cli.ts');
const stableAge = loadStackConfig().orthancStableAgeSeconds;

let stack: RunningStack;
let workDir: string;
const tag = randomBytes(3).toString('hex');
/** ReferringPhysicianName of the mapped study, and of the one nobody maps. */
const mappedName = `Wilson${tag}^James^^`;
const unmappedName = `Cuddy${tag}^Lisa`;
const doctor = { username: `dr.wilson.${tag}`, password: randomBytes(12).toString('base64url') };
const radiologist = { username: `rad.sync.${tag}`, password: randomBytes(12).toString('base64url') };
const patient = { username: `pat.issuer.${tag}`, password: randomBytes(12).toString('base64url') };
const patientId = `MRN-${tag}`;
let samples: SampleCopy[] = [];
let mappedStudy: SampleCopy;
let unmappedStudy: SampleCopy;
/** PatientID MRN-<tag> issued by HOSP-A (the patient account's) and by HOSP-B (someone else). */
let issuerA: SampleCopy;
let issuerB: SampleCopy;

async function admin(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [cli, '--config', stack.gate.configFile, ...args], { env: { ...process.env } });
  return stdout;
}

async function addUser(user: { username: string; password: string }, role: string, extra: string[] = []): Promise<void> {
  await run(process.execPath, [cli, '--config', stack.gate.configFile, 'user', 'add', '--username', user.username, '--role', role, '--display-name', `${role} ${tag}`, ...extra], {
    env: { ...process.env, RS_NEW_PASSWORD: user.password },
  });
}

async function tokenOf(user: { username: string; password: string }): Promise<string> {
  const login = await call(stack, '/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password, client: 'desktop' }),
  });
  expect(login.status, login.text).toBe(200);
  return (JSON.parse(login.text) as { accessToken: string }).accessToken;
}

async function rootStudyUids(token: string): Promise<string[]> {
  const reply = await call(stack, '/api/ris/dicom-web/studies', { headers: { ...bearer(token), accept: DICOM_JSON } });
  expect(reply.status, reply.text).toBe(200);
  return (JSON.parse(reply.text) as Array<Record<string, { Value: string[] }>>).map((study) => study['0020000D']!.Value[0]!).sort();
}

interface WorklistRow {
  studyInstanceUid: string;
  patientId: string;
  issuerOfPatientId: string | null;
  patientName: string | null;
}

async function worklist(token: string): Promise<WorklistRow[]> {
  const reply = await call(stack, '/api/ris/worklist?limit=500', { headers: bearer(token) });
  expect(reply.status, reply.text).toBe(200);
  return (JSON.parse(reply.text) as { items: WorklistRow[] }).items;
}

async function adminWorklistUids(): Promise<Set<string>> {
  return new Set((await worklist(await accessToken(stack, 'admin'))).map((item) => item.studyInstanceUid));
}

async function orthanc(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.orthanc.url}${pathname}`, { ...init, headers: { authorization: stack.orthancAuthorization, ...init.headers } });
}

async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function assign(token: string, studyUid: string, body: unknown) {
  return call(stack, `/api/ris/studies/${studyUid}/assignment`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  stack = runningStack();
  workDir = mkdtempSync(path.join(tmpdir(), 'rs-registry-relations-'));
  const ct = path.join(await pydicomDataDir(), 'test_files', 'CT_small.dcm');
  samples = await freshUidCopies([ct, ct, ct, ct], workDir, { ownPatients: tag });
  [mappedStudy, unmappedStudy, issuerA, issuerB] = samples as [SampleCopy, SampleCopy, SampleCopy, SampleCopy];
  await run('dcmodify', ['-nb', '-i', `(0008,0090)=${mappedName}`, mappedStudy.file]);
  await run('dcmodify', ['-nb', '-i', `(0008,0090)=${unmappedName}`, unmappedStudy.file]);
  await run('dcmodify', ['-nb', '-m', `(0010,0020)=${patientId}`, '-i', '(0010,0021)=HOSP-A', issuerA.file]);
  // Another name too: the same PatientID at a partner site is someone else.
  await run('dcmodify', ['-nb', '-m', `(0010,0020)=${patientId}`, '-i', '(0010,0021)=HOSP-B', '-m', `(0010,0010)=Partner${tag}^Pat`, issuerB.file]);
  await addUser(doctor, 'doctor');
  await addUser(radiologist, 'radiologist');
  await addUser(patient, 'patient', ['--patient-id', patientId, '--issuer', 'HOSP-A']);
  const sent = await storescu({ port: stack.dicom.port, calledAet: stack.dicom.aet, callingAet: 'DEMO_MODALITY' }, samples.map((sample) => sample.file));
  expect(sent.ok, sent.output).toBe(true);
  const expected = samples.map((sample) => sample.studyInstanceUid);
  await within((stableAge + 5) * 1000, async () => {
    const listed = await adminWorklistUids();
    return expected.every((uid) => listed.has(uid));
  }, 'the sent studies in the admin worklist');
});

afterAll(async () => {
  for (const sample of samples) {
    const response = await orthanc('/tools/lookup', { method: 'POST', body: sample.studyInstanceUid });
    for (const found of (await response.json()) as Array<{ Type: string; ID: string }>) {
      if (found.Type === 'Study') await orthanc(`/studies/${found.ID}`, { method: 'DELETE' });
    }
  }
  const sent = new Set(samples.map((sample) => sample.studyInstanceUid));
  await within(15_000, async () => [...(await adminWorklistUids())].every((uid) => !sent.has(uid)), 'the registry forgets the sent studies');
  rmSync(workDir, { recursive: true, force: true });
});

describe('the ordering physician from ReferringPhysicianName', () => {
  it('lists names nobody is mapped to; once mapped, the doctor sees exactly that study through DICOMweb', async () => {
    const before = await admin('physician', 'unmapped');
    expect(before).toContain(`WILSON${tag.toUpperCase()}^JAMES\t1 study`);
    expect(before).toContain(`CUDDY${tag.toUpperCase()}^LISA\t1 study`);
    const doctorToken = await tokenOf(doctor);
    expect(await rootStudyUids(doctorToken)).toEqual([]);

    expect(await admin('physician', 'map', mappedName, doctor.username)).toBe(
      `WILSON${tag.toUpperCase()}^JAMES is ${doctor.username} (doctor ${tag}): ordering physician of 1 study\n`,
    );
    expect(await rootStudyUids(doctorToken)).toEqual([mappedStudy.studyInstanceUid]);
    const series = await call(stack, `/api/ris/dicom-web/studies/${mappedStudy.studyInstanceUid}/series`, { headers: { ...bearer(doctorToken), accept: DICOM_JSON } });
    expect(series.status).toBe(200);
    const other = await call(stack, `/api/ris/dicom-web/studies/${unmappedStudy.studyInstanceUid}/series`, { headers: { ...bearer(doctorToken), accept: DICOM_JSON } });
    expect(other.status).toBe(403);

    const after = await admin('physician', 'unmapped');
    expect(after).not.toContain(`WILSON${tag.toUpperCase()}^JAMES`);
    expect(after).toContain(`CUDDY${tag.toUpperCase()}^LISA\t1 study`);
  });
});

describe('the assignment API', () => {
  it('lets an administrator assign the reading radiologist, who then sees the study; the change is audited', async () => {
    const radiologistToken = await tokenOf(radiologist);
    const uid = unmappedStudy.studyInstanceUid;
    expect((await call(stack, `/api/ris/dicom-web/studies/${uid}/series`, { headers: { ...bearer(radiologistToken), accept: DICOM_JSON } })).status).toBe(403);

    const reply = await assign(await accessToken(stack, 'admin'), uid, { radiologist: radiologist.username });
    expect(reply.status, reply.text).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ studyInstanceUid: uid, radiologist: { username: radiologist.username, displayName: `radiologist ${tag}` } });
    expect((await call(stack, `/api/ris/dicom-web/studies/${uid}/series`, { headers: { ...bearer(radiologistToken), accept: DICOM_JSON } })).status).toBe(200);
    expect(await rootStudyUids(radiologistToken)).toEqual([uid]);

    const rows = auditRows(stack, [reply.requestId!]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'STUDY_ASSIGNMENT', result: 'success', username: 'admin', study_uid: uid, reason: `radiologist: (none) -> ${radiologist.username}` });
  });

  it('refuses non-administrators with 403 and bad input with a clear 4xx, each audited', async () => {
    const uid = unmappedStudy.studyInstanceUid;
    const adminToken = await accessToken(stack, 'admin');
    const asRadiologist = await assign(await tokenOf(radiologist), uid, { radiologist: radiologist.username });
    expect(asRadiologist.status).toBe(403);
    expect(JSON.parse(asRadiologist.text)).toMatchObject({ code: 'FORBIDDEN', requestId: asRadiologist.requestId });
    expect(auditRows(stack, [asRadiologist.requestId!])[0]).toMatchObject({ action: 'STUDY_ASSIGNMENT', result: 'denied', username: radiologist.username });

    const cases: Array<[string, unknown, number, string]> = [
      [uid, { radiologist: 'nobody.at.all' }, 400, 'ASSIGNEE_NOT_ALLOWED'],
      [uid, { radiologist: doctor.username }, 400, 'ASSIGNEE_NOT_ALLOWED'],
      [uid, { radiologist: radiologist.username, extra: 1 }, 400, 'VALIDATION_FAILED'],
      [uid, { radiologist: 42 }, 400, 'VALIDATION_FAILED'],
      ['1.2.3.not-a-uid', { radiologist: null }, 400, 'VALIDATION_FAILED'],
      [`1.2.826.0.1.3680043.8.498.${Date.now()}`, { radiologist: null }, 404, 'STUDY_NOT_FOUND'],
    ];
    for (const [target, body, status, code] of cases) {
      const reply = await assign(adminToken, target, body);
      expect(reply.status, `${JSON.stringify(body)} → ${reply.text}`).toBe(status);
      expect(JSON.parse(reply.text)).toMatchObject({ code });
      expect(auditRows(stack, [reply.requestId!])[0]).toMatchObject({ action: 'STUDY_ASSIGNMENT', result: 'failure' });
    }
    const malformed = await call(stack, `/api/ris/studies/${uid}/assignment`, { method: 'POST', headers: { ...bearer(adminToken), 'content-type': 'application/json' }, body: '{"radiologist":' });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text)).toMatchObject({ code: 'BAD_REQUEST' });
    // Still assigned as before: none of the refused requests changed anything.
    expect(await rootStudyUids(await tokenOf(radiologist))).toEqual([uid]);
  });
});

describe('patients by PatientID and IssuerOfPatientID', () => {
  /** The first instance's series and frame path of a study, as its metadata names them. */
  async function firstFrame(token: string, sample: SampleCopy): Promise<string> {
    const reply = await call(stack, `/api/ris/dicom-web/studies/${sample.studyInstanceUid}/metadata`, { headers: { ...bearer(token), accept: DICOM_JSON } });
    expect(reply.status, reply.text).toBe(200);
    const [instance] = JSON.parse(reply.text) as Array<Record<string, { Value: string[] }>>;
    return `/api/ris/dicom-web/studies/${sample.studyInstanceUid}/series/${instance!['0020000E']!.Value[0]}/instances/${instance!['00080018']!.Value[0]}/frames/1`;
  }

  it('records the same PatientID from two issuers as two patients, both in the admin worklist with their issuer', async () => {
    const rows = (await worklist(await accessToken(stack, 'admin'))).filter((item) => item.patientId === patientId);
    const byUid = new Map(rows.map((row) => [row.studyInstanceUid, row]));
    expect(rows).toHaveLength(2);
    expect(byUid.get(issuerA.studyInstanceUid)).toMatchObject({ issuerOfPatientId: 'HOSP-A' });
    expect(byUid.get(issuerB.studyInstanceUid)).toMatchObject({ issuerOfPatientId: 'HOSP-B', patientName: `Partner${tag}^Pat` });
    expect(byUid.get(issuerA.studyInstanceUid)?.patientName).not.toBe(`Partner${tag}^Pat`);
    // Orthanc itself files both under one patient (its patient is the PatientID alone).
    const parents = await Promise.all(
      [issuerA, issuerB].map(async (sample) => {
        const [found] = (await (await orthanc('/tools/lookup', { method: 'POST', body: sample.studyInstanceUid })).json()) as Array<{ ID: string }>;
        return ((await (await orthanc(`/studies/${found!.ID}`)).json()) as { ParentPatient: string }).ParentPatient;
      }),
    );
    expect(new Set(parents).size).toBe(1);
  });

  it("shows a patient account linked to (PatientID, HOSP-A) exactly HOSP-A's study: worklist, root search, metadata and frames; HOSP-B's is refused", async () => {
    const token = await tokenOf(patient);
    expect((await worklist(token)).map((item) => [item.studyInstanceUid, item.patientId, item.issuerOfPatientId])).toEqual([[issuerA.studyInstanceUid, patientId, 'HOSP-A']]);
    expect(await rootStudyUids(token)).toEqual([issuerA.studyInstanceUid]);
    // Searching by the shared PatientID still finds only the account's own patient's study.
    const byPatientId = await call(stack, `/api/ris/dicom-web/studies?PatientID=${encodeURIComponent(patientId)}`, { headers: { ...bearer(token), accept: DICOM_JSON } });
    expect(byPatientId.status, byPatientId.text).toBe(200);
    expect((JSON.parse(byPatientId.text) as Array<Record<string, { Value: string[] }>>).map((study) => study['0020000D']!.Value[0])).toEqual([issuerA.studyInstanceUid]);

    const ownFrame = await call(stack, await firstFrame(token, issuerA), { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
    expect(ownFrame.status, ownFrame.text).toBe(200);

    const otherFrame = await firstFrame(await accessToken(stack, 'admin'), issuerB);
    for (const [url, accept] of [
      [`/api/ris/dicom-web/studies/${issuerB.studyInstanceUid}/metadata`, DICOM_JSON],
      [`/api/ris/dicom-web/studies/${issuerB.studyInstanceUid}/series`, DICOM_JSON],
      [otherFrame, FRAME_ACCEPT],
    ] as const) {
      const reply = await call(stack, url, { headers: { ...bearer(token), accept } });
      expect(reply.status, `${url} → ${reply.text}`).toBe(403);
      expect(JSON.parse(reply.text)).toMatchObject({ code: 'STUDY_FORBIDDEN' });
    }
  });
});
