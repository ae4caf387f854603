import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSmallStudies, loadStackConfig, stackCli } from '@reading-station/stack';
import { accessToken, bearer, call, runningStack, type RunningStack } from '../support/gate-client.ts';

// The gate is killed (SIGKILL: no shutdown, no lease given back) while a modality sends 50
// studies; started again, it records every study exactly once. What makes it hold: the registry
// rows and the feed position commit in one transaction, and a lease held by a dead process
// expires, so the restarted gate takes over and resumes after the last change applied.

const run = promisify(execFile);
const COUNT = 50;
const tag = randomBytes(3).toString('hex');
const patientId = `CRASH-${tag}`;
const stableAge = loadStackConfig().orthancStableAgeSeconds;

let stack: RunningStack;
let workDir: string;
let generated: string[] = [];

function registryRows(): Array<{ study_instance_uid: string }> {
  const db = new Database(stack.gate.database, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('select studies.study_instance_uid from studies join patients on patients.id = studies.patient_id where patients.patient_id = ?')
      .all(patientId) as Array<{ study_instance_uid: string }>;
  } finally {
    db.close();
  }
}

/** The stack's gate command (stack/src/gate-service.ts). */
async function gate(action: 'kill' | 'start'): Promise<void> {
  await run(process.execPath, [stackCli, 'gate', action], { env: process.env });
}

async function gateAnswers(): Promise<boolean> {
  return fetch(`${stack.gate.url}/api/healthz`).then((response) => response.ok, () => false);
}

async function within(ms: number, check: () => Promise<boolean> | boolean, what: string): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

async function orthanc(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.orthanc.url}${pathname}`, { ...init, headers: { authorization: stack.orthancAuthorization, ...init.headers } });
}

beforeAll(async () => {
  stack = runningStack();
  workDir = mkdtempSync(path.join(tmpdir(), 'rs-registry-crash-'));
  generated = await generateSmallStudies(workDir, COUNT, { patientIds: [patientId] });
});

afterAll(async () => {
  // Never leave the gate stopped for the suites after this one.
  if (!(await gateAnswers())) await gate('start');
  const found = (await (await orthanc('/tools/lookup', { method: 'POST', body: patientId })).json()) as Array<{ Type: string; ID: string }>;
  for (const entry of found) if (entry.Type === 'Patient') await orthanc(`/patients/${entry.ID}`, { method: 'DELETE' });
  await within(30_000, () => registryRows().length === 0, 'the registry forgets the sent studies');
  rmSync(workDir, { recursive: true, force: true });
}, 120_000);

describe('the registry sync survives a crash of the gate', () => {
  it('records each of 50 studies exactly once when the gate is killed while a modality sends them, then started again', async () => {
    const files = readdirSync(workDir).sort().map((name) => path.join(workDir, name));
    const sending = spawn('storescu', ['-aet', 'DEMO_MODALITY', '-aec', stack.dicom.aet, '127.0.0.1', String(stack.dicom.port), ...files], { stdio: 'ignore' });
    const sent = new Promise<number | null>((resolve) => sending.on('exit', resolve));
    let exited = false;
    void sent.then(() => (exited = true));
    // Killed as soon as Orthanc holds the first of them, while storescu is still sending.
    await within(60_000, async () => ((await (await orthanc('/tools/lookup', { method: 'POST', body: patientId })).json()) as unknown[]).length > 0, 'the first study in Orthanc');
    process.kill(stack.processes.gate!.pid, 'SIGKILL');
    const recordedAtKill = registryRows().length;
    expect(exited, 'storescu was still sending when the gate was killed').toBe(false);
    await within(5_000, async () => !(await gateAnswers()), 'the gate gone');
    await gate('kill'); // the stack forgets the dead process
    expect(await sent).toBe(0);
    await gate('start');
    // The dead gate's lease (30 s) must lapse before the new one follows Orthanc.
    await within((stableAge + 60) * 1000, () => registryRows().length === COUNT, `all ${COUNT} studies recorded after the restart`);

    const rows = registryRows().map((row) => row.study_instance_uid);
    expect(rows).toHaveLength(COUNT);
    expect(new Set(rows).size).toBe(COUNT);
    expect([...rows].sort()).toEqual([...generated].sort());
    // The admin's worklist lists each of them once too.
    const reply = await call(stack, `/api/ris/worklist?q=${patientId}&limit=500`, { headers: bearer(await accessToken(stack, 'admin')) });
    expect(reply.status).toBe(200);
    const listed = (JSON.parse(reply.text) as { items: Array<{ studyInstanceUid: string }> }).items.map((item) => item.studyInstanceUid);
    expect([...listed].sort()).toEqual([...generated].sort());
    console.info(`gate killed with ${recordedAtKill} of ${COUNT} studies recorded`);
  });
});
