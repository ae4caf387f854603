import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshUidCopies, loadStackConfig, pydicomDataDir, storescu, type SampleCopy } from '@reading-station/stack';
import { DICOM_JSON, accessToken, auditRows, bearer, call, runningStack, type RunningStack } from '../support/gate-client.ts';

// A StudyInstanceUID that Orthanc holds under two patients (two PatientIDs sent with one UID) is
// recorded as a conflict: the admin CLI lists it, and the gate refuses the study with 409
// STUDY_CONFLICT and a message saying so — never another patient's images, never "not found".

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../src/cli.ts');
const stableAge = loadStackConfig().orthancStableAgeSeconds;
const tag = randomBytes(3).toString('hex');
const patient = { username: `pat.conflict.${tag}`, password: randomBytes(12).toString('base64url') };

let stack: RunningStack;
let workDir: string;
let first: SampleCopy;
let second: SampleCopy;

function conflictRows(uid: string): unknown[] {
  const db = new Database(stack.gate.database, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select * from study_conflicts where study_instance_uid = ?').all(uid);
  } finally {
    db.close();
  }
}

async function within(ms: number, check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function orthanc(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.orthanc.url}${pathname}`, { ...init, headers: { authorization: stack.orthancAuthorization, ...init.headers } });
}

beforeAll(async () => {
  stack = runningStack();
  workDir = mkdtempSync(path.join(tmpdir(), 'rs-registry-conflicts-'));
  const ct = path.join(await pydicomDataDir(), 'test_files', 'CT_small.dcm');
  [first, second] = (await freshUidCopies([ct, ct], workDir, { ownPatients: tag })) as [SampleCopy, SampleCopy];
  // The second copy: another patient, the first one's StudyInstanceUID.
  await run('dcmodify', ['-nb', '-m', `(0020,000D)=${first.studyInstanceUid}`, second.file]);
  await run(process.execPath, [cli, '--config', stack.gate.configFile, 'user', 'add', '--username', patient.username, '--role', 'patient', '--display-name', 'Conflict', '--patient-id', first.patientId], {
    env: { ...process.env, RS_NEW_PASSWORD: patient.password },
  });
  const sent = await storescu({ port: stack.dicom.port, calledAet: stack.dicom.aet, callingAet: 'DEMO_MODALITY' }, [first.file, second.file]);
  expect(sent.ok, sent.output).toBe(true);
  await within((stableAge + 10) * 1000, () => conflictRows(first.studyInstanceUid).length === 2, 'the conflict recorded');
});

afterAll(async () => {
  for (const sample of [first, second]) {
    const found = (await (await orthanc('/tools/lookup', { method: 'POST', body: sample.patientId })).json()) as Array<{ Type: string; ID: string }>;
    for (const entry of found) if (entry.Type === 'Patient') await orthanc(`/patients/${entry.ID}`, { method: 'DELETE' });
  }
  await within(30_000, () => conflictRows(first.studyInstanceUid).length === 0, 'the conflict forgotten');
  rmSync(workDir, { recursive: true, force: true });
});

describe('a StudyInstanceUID Orthanc holds under two patients', () => {
  it('is listed by registry conflicts with both patients', async () => {
    const { stdout } = await run(process.execPath, [cli, '--config', stack.gate.configFile, 'registry', 'conflicts'], { env: process.env });
    const line = stdout.split('\n').find((entry) => entry.startsWith(first.studyInstanceUid));
    expect(line).toBeDefined();
    expect(line).toContain(`PatientID ${first.patientId} in Orthanc study`);
    expect(line).toContain(`PatientID ${second.patientId} in Orthanc study`);
  });

  it("is marked in the administrators' worklist, and only there", async () => {
    const asAdmin = await call(stack, `/api/ris/worklist?q=${first.patientId}`, { headers: bearer(await accessToken(stack, 'admin')) });
    expect(asAdmin.status).toBe(200);
    const items = (JSON.parse(asAdmin.text) as { items: Array<{ studyInstanceUid: string; conflict?: boolean }> }).items;
    expect(items.filter((item) => item.studyInstanceUid === first.studyInstanceUid)).toEqual([expect.objectContaining({ conflict: true })]);
    const demo = await call(stack, '/api/ris/worklist', { headers: bearer(await accessToken(stack, 'admin')) });
    expect((JSON.parse(demo.text) as { items: Array<{ studyInstanceUid: string; conflict?: boolean }> }).items.filter((item) => item.conflict === true).map((item) => item.studyInstanceUid)).toEqual([first.studyInstanceUid]);
  });

  it('is refused with 409 STUDY_CONFLICT and a clear message to its patient, and audited; others still get 403', async () => {
    const login = await call(stack, '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: patient.username, password: patient.password, client: 'desktop' }),
    });
    expect(login.status, login.text).toBe(200);
    const token = (JSON.parse(login.text) as { accessToken: string }).accessToken;
    const reply = await call(stack, `/api/ris/dicom-web/studies/${first.studyInstanceUid}/series`, { headers: { ...bearer(token), accept: DICOM_JSON } });
    expect(reply.status).toBe(409);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'STUDY_CONFLICT', error: "this study's identifiers conflict in the PACS; IT has been told" });
    expect(auditRows(stack, [reply.requestId!])[0]).toMatchObject({ action: 'DICOM_ACCESS_DENIED', study_uid: first.studyInstanceUid, reason: expect.stringContaining('STUDY_CONFLICT') });
    // Its root search leaves the study out rather than bring the other patient's along.
    const search = await call(stack, '/api/ris/dicom-web/studies', { headers: { ...bearer(token), accept: DICOM_JSON } });
    expect(search.status).toBe(200);
    expect(JSON.parse(search.text)).toEqual([]);

    const admin = await call(stack, `/api/ris/dicom-web/studies/${first.studyInstanceUid}/metadata`, { headers: { ...bearer(await accessToken(stack, 'admin')), accept: DICOM_JSON } });
    expect(admin.status).toBe(409);
    expect(JSON.parse(admin.text)).toMatchObject({ code: 'STUDY_CONFLICT', error: expect.stringContaining('registry conflicts') });
    const stranger = await call(stack, `/api/ris/dicom-web/studies/${first.studyInstanceUid}/series`, { headers: { ...bearer(await accessToken(stack, 'pat.doe')), accept: DICOM_JSON } });
    expect(stranger.status).toBe(403);
    expect(JSON.parse(stranger.text)).toMatchObject({ code: 'STUDY_FORBIDDEN' });
  });
});
