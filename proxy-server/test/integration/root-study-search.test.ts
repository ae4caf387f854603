import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSmallStudies, storescu } from '@reading-station/stack';
import { DICOM_JSON, bearer, call, runningStack, type RunningStack } from '../support/gate-client.ts';

// Root study searches at hospital scale: a radiologist with 1,500 studies gets every one of them,
// once, through paged QIDO searches — the same set as the worklist and nothing of anyone else's.
// The studies are generated small (one instance without pixel data each), sent by storescu as a
// modality, reach the radiologist through the physician directory, and are deleted afterwards.

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../src/cli.ts');
const COUNT = 1500;
/** The largest page a non-admin's root study search may ask for (MAX_CONSTRAINED_STUDIES). */
const PAGE = 150;
const tag = randomBytes(3).toString('hex');
const referring = `Scale${tag}^Reader`;
const radiologist = { username: `rad.scale.${tag}`, password: randomBytes(12).toString('base64url') };
const patients = Array.from({ length: 15 }, (_, n) => `SCALE-${tag}-${n}`);


let stack: RunningStack;
let workDir: string;
let generated: string[] = [];
let token: string;

async function admin(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [cli, '--config', stack.gate.configFile, ...args], { env: { ...process.env, RS_NEW_PASSWORD: radiologist.password } });
  return stdout;
}

async function orthanc(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.orthanc.url}${pathname}`, { ...init, headers: { authorization: stack.orthancAuthorization, ...init.headers } });
}

async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function worklist(limit: number, offset: number): Promise<{ total: number; items: Array<{ studyInstanceUid: string }> }> {
  const reply = await call(stack, `/api/ris/worklist?limit=${limit}&offset=${offset}`, { headers: bearer(token) });
  expect(reply.status, reply.text).toBe(200);
  return JSON.parse(reply.text) as { total: number; items: Array<{ studyInstanceUid: string }> };
}

async function login(): Promise<string> {
  const reply = await call(stack, '/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: radiologist.username, password: radiologist.password, client: 'desktop' }),
  });
  expect(reply.status, reply.text).toBe(200);
  return (JSON.parse(reply.text) as { accessToken: string }).accessToken;
}

beforeAll(async () => {
  stack = runningStack();
  workDir = mkdtempSync(path.join(tmpdir(), 'rs-root-search-'));
  generated = await generateSmallStudies(workDir, COUNT, { patientIds: patients, referringPhysicianName: referring });
  expect(new Set(generated).size).toBe(COUNT);
  await admin('user', 'add', '--username', radiologist.username, '--role', 'radiologist', '--display-name', `Scale ${tag}`);
  await admin('physician', 'map', referring, radiologist.username);
  const files = readdirSync(workDir).map((name) => path.join(workDir, name));
  // Four associations at once, as several modalities would send: Orthanc stores them in parallel.
  const groups = [0, 1, 2, 3].map((group) => files.filter((_, index) => index % 4 === group));
  const sent = await Promise.all(groups.map((group) => storescu({ port: stack.dicom.port, calledAet: stack.dicom.aet, callingAet: 'DEMO_MODALITY' }, group)));
  for (const result of sent) expect(result.ok, result.output.slice(-2000)).toBe(true);
  token = await login();
  await within(150_000, async () => {
    token = await login();
    return (await worklist(1, 0)).total === COUNT;
  }, `all ${COUNT} studies recorded for the radiologist`);
}, 300_000);

afterAll(async () => {
  if (generated.length === 0) return;
  for (const patientId of patients) {
    const found = (await (await orthanc('/tools/lookup', { method: 'POST', body: patientId })).json()) as Array<{ Type: string; ID: string }>;
    for (const entry of found) if (entry.Type === 'Patient') await orthanc(`/patients/${entry.ID}`, { method: 'DELETE' });
  }
  await within(60_000, async () => {
    token = await login();
    return (await worklist(1, 0)).total === 0;
  }, 'the registry forgets the generated studies');
  rmSync(workDir, { recursive: true, force: true });
}, 120_000);

describe('root study searches of a radiologist with 1,500 studies', () => {
  it('return every study exactly once over paged searches: the worklist’s set, nobody else’s', async () => {
    token = await login();
    const searched: string[] = [];
    const timings: number[] = [];
    for (let offset = 0; offset <= COUNT; offset += PAGE) {
      const started = Date.now();
      const reply = await call(stack, `/api/ris/dicom-web/studies?limit=${PAGE}&offset=${offset}&includefield=StudyDate`, { headers: { ...bearer(token), accept: DICOM_JSON } });
      timings.push(Date.now() - started);
      expect(reply.status, reply.text.slice(0, 500)).toBe(200);
      const page = JSON.parse(reply.text) as Array<Record<string, { Value?: string[] }>>;
      expect(page.length).toBe(Math.max(0, Math.min(PAGE, COUNT - offset)));
      searched.push(...page.map((study) => study['0020000D']!.Value![0]!));
    }
    expect(searched).toHaveLength(COUNT);
    expect(new Set(searched).size).toBe(COUNT);
    expect([...searched].sort()).toEqual([...generated].sort());

    const listed: string[] = [];
    for (let offset = 0; offset < COUNT; offset += 500) listed.push(...(await worklist(500, offset)).items.map((item) => item.studyInstanceUid));
    expect([...listed].sort()).toEqual([...searched].sort());
    console.info(`root study search pages of ${PAGE} (ms): ${timings.join(', ')}`);
  });

  it('refuse an unpaged search, or a page larger than one constraint holds, with a clear 400', async () => {
    const access = await login();
    for (const query of ['', '?limit=1000', `?limit=${PAGE + 1}&offset=10`]) {
      const reply = await call(stack, `/api/ris/dicom-web/studies${query}`, { headers: { ...bearer(access), accept: DICOM_JSON } });
      expect(reply.status, query).toBe(400);
      expect(JSON.parse(reply.text)).toMatchObject({ code: 'INVALID_QUERY', error: expect.stringContaining(`page it with limit (at most ${PAGE})`) });
    }
  });

  it('match registry-held keys before paging: a PatientID and a date range', async () => {
    const reply = await call(stack, `/api/ris/dicom-web/studies?PatientID=${patients[3]}&StudyDate=20250101-20250630&limit=${PAGE}`, { headers: { ...bearer(await login()), accept: DICOM_JSON } });
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    const found = (JSON.parse(reply.text) as Array<Record<string, { Value?: string[] }>>).map((study) => [study['00100020']!.Value![0], study['00080020']!.Value![0]!]);
    expect(found.length).toBeGreaterThan(0);
    for (const [patientId, date] of found) {
      expect(patientId).toBe(patients[3]);
      expect(date! >= '20250101' && date! <= '20250630').toBe(true);
    }
  });
});
