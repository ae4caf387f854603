import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackConfig, pydicomDataDir, storescu } from '@reading-station/stack';
import { DICOM_JSON, FRAME_ACCEPT, accessToken, auditRows, bearer, call, demoUser, runningStack, type Reply, type RunningStack } from '../support/gate-client.ts';

// nginx's DICOMweb cache behind the gate (docs/operations.md, "The DICOMweb cache"): every request
// still passes the gate, only the bytes behind the internal redirect may come from the cache. What
// nginx did with each request is read from its access log (the internal URI and
// $upstream_cache_status), found by the request id nginx gave it.

const run = promisify(execFile);

let stack: RunningStack;
let pollMs: number;
let workDir: string;
/** The study this file makes (its own patient), deleted at the end. */
const own = { study: '', series: '', patientId: '', instances: [] as string[], files: [] as string[] };

/** A copy of pydicom's CT_small as one more instance of this file's study (dcmodify knows no HTJ2K). */
async function newInstanceFile(): Promise<string> {
  const file = path.join(workDir, `${own.files.length}.dcm`);
  copyFileSync(path.join(await pydicomDataDir(), 'test_files', 'CT_small.dcm'), file);
  const sop = freshUid();
  await run('dcmodify', ['-nb', '-m', `(0020,000D)=${own.study}`, '-m', `(0020,000E)=${own.series}`, '-m', `(0008,0018)=${sop}`, '-m', `(0010,0020)=${own.patientId}`, file]);
  own.files.push(file);
  own.instances.push(sop);
  return file;
}

interface Served {
  reply: Reply;
  /** The URI nginx ended with: the internal one after the gate's redirect. */
  uri: string;
  /** nginx's $upstream_cache_status: HIT, MISS, EXPIRED…, or '-' when the cache was not used. */
  cache: string;
  /** The access log's gate= field: the gate's decision, kept across its redirect. */
  gate: string;
}

async function accessLogLine(requestId: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const line = readFileSync(stack.logs.nginxAccess as string, 'utf8')
      .split('\n')
      .find((entry) => entry.includes(` rid=${requestId} `));
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no access log line for request ${requestId}`);
}

async function get(username: string, target: string, accept = DICOM_JSON): Promise<Served> {
  const reply = await call(stack, target, { headers: { ...bearer(await accessToken(stack, username)), accept } });
  const line = await accessLogLine(reply.requestId ?? '');
  const match = /"GET (\S+)" (\d+) .* gate=(\S*) .* cache=(\S+)$/.exec(line);
  expect(match, line).not.toBeNull();
  return { reply, uri: match?.[1] ?? '', gate: match?.[3] ?? '', cache: match?.[4] ?? '' };
}

/** Asks until nginx answers from its cache (a study's first look at Orthanc may renew its revision once). */
async function untilHit(username: string, target: string, accept = DICOM_JSON): Promise<Served> {
  const seen: string[] = [];
  for (let attempt = 0; attempt < 10; attempt++) {
    const served = await get(username, target, accept);
    expect(served.reply.status, served.reply.text.slice(0, 200)).toBe(200);
    // Every answer, from the cache or not, went through the gate's decision.
    expect(served.gate).toBe('allow');
    if (served.cache === 'HIT') return served;
    seen.push(served.cache);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`${target} for ${username} never came from the cache (${seen.join(', ')})`);
}

const studyUids = (json: string) => (JSON.parse(json) as Array<Record<string, { Value?: string[] }>>).map((item) => item['0020000D']?.Value?.[0]);
const instanceUids = (json: string) => (JSON.parse(json) as Array<Record<string, { Value?: string[] }>>).map((item) => item['00080018']?.Value?.[0]).sort();

async function orthanc(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.orthanc.url}${pathname}`, { ...init, headers: { authorization: stack.orthancAuthorization, ...init.headers } });
}

async function orthancStudyId(studyInstanceUid: string): Promise<string | undefined> {
  const response = await orthanc('/tools/lookup', { method: 'POST', body: studyInstanceUid });
  const found = (await response.json()) as Array<{ Type: string; ID: string }>;
  return found.find((entry) => entry.Type === 'Study')?.ID;
}

async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const freshUid = () => `2.25.${BigInt(`0x${randomBytes(15).toString('hex')}`).toString()}`;

beforeAll(async () => {
  stack = runningStack();
  const cache = stack.nginx.cache;
  expect(cache, 'the stack runs with the DICOMweb cache on (stack.json nginx.cache)').toBeDefined();
  pollMs = cache?.revisionPollMs ?? 250;

  // A study of this file's own, sent by C-STORE as the demo modality instance by instance.
  workDir = mkdtempSync(path.join(tmpdir(), 'rs-nginx-cache-'));
  own.study = freshUid();
  own.series = freshUid();
  own.patientId = `RS-CACHE-${randomBytes(3).toString('hex')}`;
});

/** Whether the stack's registry has the study (read from its database: the gate refuses a deleted study before its registry drops it). */
function inRegistry(studyInstanceUid: string): boolean {
  const db = new Database(stack.gate.database, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select 1 from studies where study_instance_uid = ?').get(studyInstanceUid) !== undefined;
  } finally {
    db.close();
  }
}

afterAll(async () => {
  if (own.study !== '') {
    const id = await orthancStudyId(own.study);
    if (id !== undefined) await orthanc(`/studies/${id}`, { method: 'DELETE' });
    // Later tests see only the demo cohort: wait until the registry has dropped the study too.
    await within(30_000, async () => !inRegistry(own.study), 'the registry drops the study');
  }
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The gate from its sources with the stack's configuration, except: its own port, no operations
 * socket, no registry sync and no served log (the stack's gate does those), and the given poll
 * interval. Asked directly, it answers with its decision: the X-Accel-Redirect location.
 */
async function slowPollingGate(revisionPollMs: number) {
  const config = JSON.parse(readFileSync(stack.gate.configFile, 'utf8')) as Record<string, Record<string, unknown>>;
  const port = await freePort();
  const file = path.join(workDir, 'slow-gate.json');
  const listen = { ...config.listen, port, opsSocket: undefined };
  const audit = { ...config.audit, servedLogFile: undefined };
  writeFileSync(
    file,
    JSON.stringify({
      ...config,
      listen,
      audit,
      orthanc: { ...config.orthanc, sync: { enabled: false } },
      dicomwebCache: { ...config.dicomwebCache, revisionPollMs },
    }),
    { mode: 0o600 },
  );
  const entry = path.resolve(import.meta.dirname, '../../src/main.ts');
  const child: ChildProcess = spawn(process.execPath, [entry, '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  await within(30_000, async () => {
    if (child.exitCode !== null) throw new Error(`the second gate exited: ${stderr}`);
    return (await fetch(`${base}/api/healthz`).catch(() => undefined))?.ok === true;
  }, 'the second gate starts');
  const location = async (target: string): Promise<string> => {
    const response = await fetch(`${base}${target}`, { headers: { ...bearer(await accessToken(stack, 'admin')), accept: DICOM_JSON } });
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    return response.headers.get('x-accel-redirect') ?? '';
  };
  return {
    location,
    /** Its location once two decisions in a row agree (a study's first looks renew its revision). */
    async settledLocation(target: string): Promise<string> {
      let previous = await location(target);
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await location(target);
        if (current === previous) return current;
        previous = current;
      }
      throw new Error(`${target}: the second gate's revision never settled`);
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('two users, same-looking requests, warm cache', () => {
  it('a patient and a radiologist each get only their own studies from the same-looking root search', async () => {
    const patient = demoUser(stack, 'pat.doe');
    const radiologist = demoUser(stack, 'rad.chen');
    const shared = patient.studies.filter((uid) => radiologist.studies.includes(uid));
    expect(new Set(patient.studies), 'the two users may see different studies').not.toEqual(new Set(radiologist.studies));

    // Both warm the cache, then ask again, alternating: each answer still holds only their own.
    const search = '/api/ris/dicom-web/studies?includefield=00081030';
    const patientHit = await untilHit('pat.doe', search);
    const radiologistHit = await untilHit('rad.chen', search);
    for (let round = 0; round < 2; round++) {
      for (const [username, allowed] of [['pat.doe', patient.studies], ['rad.chen', radiologist.studies]] as const) {
        const served = await get(username, search);
        expect(served.reply.status).toBe(200);
        expect(new Set(studyUids(served.reply.text)), `${username}'s answer`).toEqual(new Set(allowed));
      }
    }
    expect(new Set(studyUids(patientHit.reply.text))).toEqual(new Set(patient.studies));
    expect(new Set(studyUids(radiologistHit.reply.text))).toEqual(new Set(radiologist.studies));
    // The cached entries are different URIs: each names exactly that user's studies.
    expect(patientHit.uri).not.toBe(radiologistHit.uri);
    for (const uid of radiologist.studies.filter((uid) => !shared.includes(uid))) expect(patientHit.uri).not.toContain(uid);
    expect(patientHit.uri).toMatch(/^\/internal-orthanc\/cached\/[0-9a-f]{16}\/dicom-web\/studies$/);
    // Each answer from the cache was a decision of its own, audited with the studies it was constrained to.
    const [patientRow, radiologistRow] = auditRows(stack, [patientHit.reply.requestId ?? '', radiologistHit.reply.requestId ?? '']);
    expect(patientRow).toMatchObject({ username: 'pat.doe', action: 'DICOM_QUERY', result: 'success' });
    expect(radiologistRow).toMatchObject({ username: 'rad.chen', action: 'DICOM_QUERY', result: 'success' });
    for (const uid of patient.studies) expect(String(patientRow?.reason)).toContain(uid);
    for (const uid of radiologist.studies) expect(String(radiologistRow?.reason)).toContain(uid);
  });

  it('a root series search for the radiologist’s study, cached for them, is refused to the patient before nginx', async () => {
    const patient = demoUser(stack, 'pat.doe');
    const theirs = demoUser(stack, 'rad.chen').studies.find((uid) => !patient.studies.includes(uid)) as string;
    const search = `/api/ris/dicom-web/series?StudyInstanceUID=${theirs}`;
    const warm = await untilHit('rad.chen', search);
    expect(warm.uri).toContain(`/dicom-web/studies/${theirs}/series`);
    const refused = await get('pat.doe', search);
    expect(refused.reply.status).toBe(403);
    expect(JSON.parse(refused.reply.text)).toMatchObject({ code: 'STUDY_FORBIDDEN' });
    expect(refused.uri, 'no internal request at all').toBe('/api/ris/dicom-web/series');
    expect(refused.cache).toBe('-');
  });

  it('frames come from the cache byte for byte, and every request still has its audit decision', async () => {
    const metadata = await untilHit('rad.chen', `/api/ris/dicom-web/studies/${demoUser(stack, 'rad.chen').studies[0]}/metadata`);
    const first = (JSON.parse(metadata.reply.text) as Array<Record<string, { Value?: string[] }>>)[0] ?? {};
    const frame = `/api/ris/dicom-web/studies/${first['0020000D']?.Value?.[0]}/series/${first['0020000E']?.Value?.[0]}/instances/${first['00080018']?.Value?.[0]}/frames/1`;
    const cold = await get('rad.chen', frame, FRAME_ACCEPT);
    const hit = await untilHit('rad.chen', frame, FRAME_ACCEPT);
    const again = await get('rad.chen', frame, FRAME_ACCEPT);
    expect(again.cache).toBe('HIT');
    expect(hit.reply.headers.get('content-type')).toMatch(/^multipart\/related;.*transfer-syntax=1\.2\.840\.10008\.1\.2\.4\.20[12]/);
    expect(Buffer.compare(hit.reply.body, again.reply.body)).toBe(0);
    expect(hit.reply.body.length, 'the same part as Orthanc sent (only the multipart boundary differs)').toBe(cold.reply.body.length);
    expect(hit.reply.headers.get('cache-control'), 'the browser still keeps nothing').toBe('no-store');
    // Served from the cache, yet decided and audited by the gate like any other request.
    const rows = auditRows(stack, [hit.reply.requestId ?? '', again.reply.requestId ?? '']);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ username: 'rad.chen', action: 'DICOM_ACCESS', result: 'success', route_kind: 'instance.frames' });
  });
});

describe('never stale', () => {
  it('an instance sent to a cached study is in the very next metadata answer, whatever the poll interval', async () => {
    const peer = { port: stack.dicom.port, calledAet: stack.dicom.aet, callingAet: 'DEMO_MODALITY' };
    expect((await storescu(peer, [await newInstanceFile()])).ok).toBe(true);
    const stableAge = loadStackConfig().orthancStableAgeSeconds;
    // The registry records the study once Orthanc calls it stable.
    await within((stableAge + 20) * 1000, async () => (await get('admin', `/api/ris/dicom-web/studies/${own.study}/metadata`)).reply.status === 200, 'study recorded');

    // A second gate on the stack's database and Orthanc that looks at Orthanc on its own only once
    // a minute: its decisions show that a request does not wait for the periodic look.
    const slow = await slowPollingGate(60_000);
    try {
      const targets = {
        series: `/api/ris/dicom-web/studies/${own.study}/series/${own.series}/metadata`,
        study: `/api/ris/dicom-web/studies/${own.study}/metadata`,
        instances: `/api/ris/dicom-web/studies/${own.study}/series/${own.series}/instances`,
      };
      for (let round = 1; round <= 4; round++) {
        const target = Object.values(targets)[round % 3] as string;
        const warm = await untilHit('admin', target);
        expect(instanceUids(warm.reply.text)).toEqual([...own.instances].sort());
        const slowBefore = await slow.settledLocation(target);
        expect(slowBefore).toMatch(/^\/internal-orthanc\/cached\/[0-9a-f]{16}\/dicom-web\/studies\//);

        const file = await newInstanceFile();
        await accessToken(stack, 'admin'); // a token at hand, so the request follows the store at once
        expect((await storescu(peer, [file])).ok).toBe(true);
        // At once: no waiting for any look at Orthanc.
        const next = await get('admin', target);
        const slowAfter = await slow.location(target);
        expect(next.reply.status).toBe(200);
        expect(instanceUids(next.reply.text), `round ${round}: ${target} has the instance just sent`).toEqual([...own.instances].sort());
        expect(next.cache, 'fetched from Orthanc under a new revision').not.toBe('HIT');
        expect(next.uri).not.toBe(warm.uri);
        expect(slowAfter, 'the slowly polling gate keys it under a new revision at once too').not.toBe(slowBefore);
        expect(slowAfter.replace(/cached\/[0-9a-f]{16}\//, '')).toBe(slowBefore.replace(/cached\/[0-9a-f]{16}\//, ''));
      }
      const again = await untilHit('admin', targets.series);
      expect(instanceUids(again.reply.text)).toEqual([...own.instances].sort());
    } finally {
      await slow.stop();
    }
  });

  it('a deleted study’s cached answers are never served again: the gate refuses it at once', async () => {
    const target = `/api/ris/dicom-web/studies/${own.study}/series/${own.series}/metadata`;
    const warm = await untilHit('admin', target);
    const id = await orthancStudyId(own.study);
    expect((await orthanc(`/studies/${id}`, { method: 'DELETE' })).status).toBe(200);
    // At once, without waiting for the registry: the look this request waits for finds the study
    // gone, and the gate refuses it before nginx, whose cache is never asked.
    const next = await get('admin', target);
    expect(next.reply.status).toBe(404);
    expect(JSON.parse(next.reply.text)).toMatchObject({ code: 'STUDY_NOT_FOUND' });
    expect(next.uri, 'no internal request at all').toBe(`/api/ris/dicom-web/studies/${own.study}/series/${own.series}/metadata`);
    expect(next.cache).toBe('-');
    // Frames and the study's other answers likewise, until the registry drops the study (then the
    // registry's own refusal, the same answer).
    const instance = `/api/ris/dicom-web/studies/${own.study}/series/${own.series}/instances/${own.instances[0]}/frames/1`;
    for (const path of [instance, `/api/ris/dicom-web/studies/${own.study}/metadata`, target]) {
      const served = await get('admin', path, path === instance ? FRAME_ACCEPT : DICOM_JSON);
      expect(served.reply.status, path).toBe(404);
      expect(served.cache, path).toBe('-');
      expect(served.uri, path).not.toContain('/internal-orthanc/');
    }
    expect(warm.cache).toBe('HIT');
  });
});
