import { beforeAll, describe, expect, it } from 'vitest';
import { loadStackConfig } from '@reading-station/stack';
import { decodeHtj2k, expectedDemoPixels, parseMultipartRelated, readDemoManifest, type DemoManifest } from '@reading-station/demo-data';
import { DICOM_JSON, FRAME_ACCEPT, accessToken, bearer, call, runningStack, type RunningStack } from '../support/gate-client.ts';

let stack: RunningStack;
let manifest: DemoManifest;

interface StudyFixture {
  study: string;
  series: string;
  instance: string;
}
const fixtures = new Map<string, StudyFixture>();

beforeAll(async () => {
  stack = runningStack();
  const loaded = await readDemoManifest(loadStackConfig().demoCacheDir);
  if (!loaded) throw new Error('demo manifest missing');
  manifest = loaded;
  for (const study of manifest.cohort.studies) {
    const series = study.series[0]!;
    const instance = manifest.instances.find((i) => i.seriesInstanceUid === series.seriesInstanceUid && i.sliceIndex === 0)!;
    fixtures.set(study.studyInstanceUid, { study: study.studyInstanceUid, series: series.seriesInstanceUid, instance: instance.sopInstanceUid });
  }
});

const framePath = (f: StudyFixture) => `/api/ris/dicom-web/studies/${f.study}/series/${f.series}/instances/${f.instance}/frames/1`;

function fixture(uid: string): StudyFixture {
  const found = fixtures.get(uid);
  if (!found) throw new Error(`no fixture for ${uid}`);
  return found;
}

describe("the original design's checks", () => {
  it('a valid JWT gets Orthanc’s metadata JSON through nginx', async () => {
    const uid = stack.demoUsers.find((u) => u.username === 'rad.chen')!.studies[0]!;
    const reply = await call(stack, `/api/ris/dicom-web/studies/${uid}/metadata`, { headers: bearer(await accessToken(stack, 'rad.chen')) });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/dicom\+json/);
    const instances = JSON.parse(reply.text) as Array<Record<string, { Value?: unknown[] }>>;
    expect(instances.length).toBeGreaterThanOrEqual(60);
    expect(instances.every((i) => i['0020000D']?.Value?.[0] === uid)).toBe(true);
    // Retrieve URLs point at the gate's public path, never at Orthanc.
    expect(reply.text).not.toContain(`:${stack.ports.orthanc}/`);
    const bulk = /"BulkDataURI"\s*:\s*"([^"]+)"/.exec(reply.text)?.[1];
    expect(bulk).toBeDefined();
    expect(bulk?.startsWith(`${stack.baseUrl}/api/ris/dicom-web/studies/${uid}/`), bulk).toBe(true);
  });

  it('a valid JWT gets multipart HTJ2K frames with Orthanc’s boundary intact, decoding to the generated pixels', async () => {
    const uid = stack.demoUsers.find((u) => u.username === 'dr.house')!.studies[0]!;
    const f = fixture(uid);
    const reply = await call(stack, framePath(f), { headers: { ...bearer(await accessToken(stack, 'dr.house')), accept: FRAME_ACCEPT } });
    expect(reply.status).toBe(200);
    const contentType = reply.headers.get('content-type') ?? '';
    expect(contentType).toMatch(/^multipart\/related;.*boundary=/);
    const [part] = parseMultipartRelated(new Uint8Array(reply.body), contentType);
    expect(part?.transferSyntax).toMatch(/^1\.2\.840\.10008\.1\.2\.4\.20[12]$/);
    const decoded = decodeHtj2k(part!.body);
    expect(Buffer.from(decoded.pixels.buffer).equals(Buffer.from(expectedDemoPixels(manifest, f.instance).buffer))).toBe(true);
  });

  it('no JWT → 401 "authentication failed" as JSON', async () => {
    const uid = manifest.cohort.studies[0]!.studyInstanceUid;
    const reply = await call(stack, `/api/ris/dicom-web/studies/${uid}/metadata`);
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.text)).toMatchObject({ error: 'authentication failed', code: 'TOKEN_MISSING' });
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('a patient asking for another patient’s study → 403 "permission denied"', async () => {
    const own = new Set(stack.demoUsers.find((u) => u.username === 'pat.smith')!.studies);
    const other = manifest.cohort.studies.find((s) => !own.has(s.studyInstanceUid))!;
    const reply = await call(stack, `/api/ris/dicom-web/studies/${other.studyInstanceUid}/metadata`, { headers: bearer(await accessToken(stack, 'pat.smith')) });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text)).toMatchObject({ error: 'permission denied', code: 'STUDY_FORBIDDEN' });
  });

  it('a doctor asking for a study they ordered: the gate answers 200 with an empty body and X-Accel-Redirect; nginx serves the bytes', async () => {
    const ordered = manifest.cohort.studies.find((s) => s.orderingPhysician === 'dr.grey')!;
    const f = fixture(ordered.studyInstanceUid);
    const token = await accessToken(stack, 'dr.grey');
    const direct = await fetch(`${stack.gate.url}${framePath(f)}`, { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
    expect(direct.status).toBe(200);
    // Frames go to the cached location, keyed by the study's revision (docs/operations.md, "The DICOMweb cache").
    expect(direct.headers.get('x-accel-redirect')).toMatch(
      new RegExp(`^/internal-orthanc/cached/[0-9a-f]{16}/dicom-web/studies/${f.study}/series/${f.series}/instances/${f.instance}/frames/1$`),
    );
    expect(direct.headers.get('cache-control')).toBe('no-store');
    expect(direct.headers.get('content-type')).toBeNull();
    expect((await direct.arrayBuffer()).byteLength).toBe(0);
    const through = await call(stack, framePath(f), { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
    expect(through.status).toBe(200);
    expect(through.body.length).toBeGreaterThan(100_000);
  });
});

describe('every role × relation', () => {
  it('metadata, frames, series list and series search answer 200 exactly for the studies demo-users.json lists, else 403', async () => {
    const outcomes: string[] = [];
    for (const user of stack.demoUsers) {
      const token = await accessToken(stack, user.username);
      const allowed = new Set(user.studies);
      for (const study of manifest.cohort.studies) {
        const f = fixture(study.studyInstanceUid);
        const expected = allowed.has(study.studyInstanceUid) ? 200 : 403;
        const targets: Array<[string, Record<string, string>]> = [
          [`/api/ris/dicom-web/studies/${f.study}/series/${f.series}/metadata`, {}],
          [framePath(f), { accept: FRAME_ACCEPT }],
          [`/api/ris/dicom-web/studies/${f.study}/series`, {}],
          [`/api/ris/dicom-web/series?StudyInstanceUID=${f.study}`, {}],
        ];
        for (const [target, headers] of targets) {
          const reply = await call(stack, target, { headers: { ...bearer(token), ...headers } });
          if (reply.status !== expected) outcomes.push(`${user.username} ${target} → ${reply.status}, expected ${expected}`);
          if (expected === 403 && reply.body.length > 500) outcomes.push(`${user.username} ${target} denied but sent ${reply.body.length} bytes`);
        }
      }
    }
    expect(outcomes).toEqual([]);
  });

  it('nurse and lab are refused every study, and their searches list nothing', async () => {
    for (const username of ['nurse.joy', 'lab.kim']) {
      const token = await accessToken(stack, username);
      for (const study of manifest.cohort.studies) {
        const reply = await call(stack, `/api/ris/dicom-web/studies/${study.studyInstanceUid}/metadata`, { headers: bearer(token) });
        expect(reply.status).toBe(403);
      }
      const search = await call(stack, '/api/ris/dicom-web/studies', { headers: bearer(token) });
      expect(search.status).toBe(200);
      expect(JSON.parse(search.text)).toEqual([]);
    }
  });
});

describe('forged hierarchy', () => {
  it('study A’s path with study B’s series and instance never yields bytes, even for the admin who may see both', async () => {
    const [a, b] = manifest.cohort.studies.map((s) => fixture(s.studyInstanceUid));
    const forged = [
      `/api/ris/dicom-web/studies/${a!.study}/series/${b!.series}/metadata`,
      `/api/ris/dicom-web/studies/${a!.study}/series/${b!.series}/instances/${b!.instance}/metadata`,
      `/api/ris/dicom-web/studies/${a!.study}/series/${b!.series}/instances/${b!.instance}/frames/1`,
      `/api/ris/dicom-web/studies/${a!.study}/series/${b!.series}/instances/${b!.instance}`,
      `/api/ris/dicom-web/studies/${a!.study}/series/${a!.series}/instances/${b!.instance}/frames/1`,
      `/api/ris/dicom-web/studies/${a!.study}/series/${b!.series}/instances`,
    ];
    for (const username of ['admin', 'dr.house']) {
      const token = await accessToken(stack, username);
      for (const target of forged) {
        const reply = await call(stack, target, { headers: { ...bearer(token), accept: target.includes('frames') ? FRAME_ACCEPT : DICOM_JSON } });
        const bytesServed = reply.status === 200 && reply.text !== '[]' && reply.body.length > 2;
        expect(bytesServed, `${username} ${target} → ${reply.status} ${reply.body.length} B`).toBe(false);
      }
    }
  });
});

describe('root searches', () => {
  it('a root study search returns exactly the user’s studies from demo-users.json', async () => {
    for (const user of stack.demoUsers) {
      const reply = await call(stack, '/api/ris/dicom-web/studies?includefield=0020000D', { headers: bearer(await accessToken(stack, user.username)) });
      expect(reply.status, user.username).toBe(200);
      const found = (JSON.parse(reply.text) as Array<Record<string, { Value: string[] }>>).map((s) => s['0020000D']!.Value[0]);
      expect(found.sort(), user.username).toEqual([...user.studies].sort());
    }
  });

  it('asking a root search for a foreign study by UID finds nothing', async () => {
    const user = stack.demoUsers.find((u) => u.username === 'pat.obrien')!;
    const foreign = manifest.cohort.studies.find((s) => !user.studies.includes(s.studyInstanceUid))!;
    const reply = await call(stack, `/api/ris/dicom-web/studies?StudyInstanceUID=${foreign.studyInstanceUid}`, { headers: bearer(await accessToken(stack, 'pat.obrien')) });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual([]);
  });

  it('root series and instances searches must name an allowed study', async () => {
    const token = await accessToken(stack, 'rad.okafor');
    expect((await call(stack, '/api/ris/dicom-web/series', { headers: bearer(token) })).status).toBe(403);
    expect((await call(stack, '/api/ris/dicom-web/instances', { headers: bearer(token) })).status).toBe(403);
    const own = stack.demoUsers.find((u) => u.username === 'rad.okafor')!.studies[0]!;
    const reply = await call(stack, `/api/ris/dicom-web/instances?StudyInstanceUID=${own}&limit=5`, { headers: bearer(token) });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.text) as unknown[]).length).toBe(5);
  });

  it('WADO-URI is refused', async () => {
    const reply = await call(stack, '/api/ris/wado?requestType=WADO&studyUID=1.2.3&seriesUID=1.2.4&objectUID=1.2.5', { headers: bearer(await accessToken(stack, 'admin')) });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'WADO_URI_NOT_SUPPORTED' });
  });
});

describe('the worklist', () => {
  it('lists exactly the caller’s studies, searchable and sortable', async () => {
    for (const user of stack.demoUsers) {
      const reply = await call(stack, '/api/ris/worklist?sort=patientName&order=asc', { headers: bearer(await accessToken(stack, user.username)) });
      expect(reply.status).toBe(200);
      const body = JSON.parse(reply.text) as { total: number; items: Array<{ studyInstanceUid: string; patientName: string }> };
      expect(body.items.map((i) => i.studyInstanceUid).sort(), user.username).toEqual([...user.studies].sort());
      expect(body.total).toBe(user.studies.length);
    }
    const admin = bearer(await accessToken(stack, 'admin'));
    const search = JSON.parse((await call(stack, '/api/ris/worklist?q=doe', { headers: admin })).text) as { items: Array<{ patientName: string }> };
    expect(search.items.length).toBeGreaterThan(0);
    expect(search.items.every((i) => i.patientName.toLowerCase().includes('doe'))).toBe(true);
    expect((await call(stack, '/api/ris/worklist?sort=password', { headers: admin })).status).toBe(400);
    expect((await call(stack, '/api/ris/worklist')).status).toBe(401);
  });
});
