import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FRAME_ACCEPT } from '@reading-station/contract';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  HTJ2K_LOSSLESS,
  HTJ2K_LOSSLESS_RPCL,
  decodeHtj2k,
  parseMultipartRelated,
  phantomSlice,
  readDemoManifest,
  type DemoManifest,
} from '@reading-station/demo-data';
import { loadStackConfig } from '../../src/config.ts';
import { runningStack, type RunningStack } from '../../src/running-stack.ts';

let stack: RunningStack;
let manifest: DemoManifest;

beforeAll(async () => {
  stack = runningStack();
  const loaded = await readDemoManifest(loadStackConfig().demoCacheDir);
  if (!loaded) throw new Error('the demo dataset manifest is missing');
  manifest = loaded;
});

describe('the one door', () => {
  it.each([
    '/internal-orthanc/dicom-web/studies',
    '/internal-orthanc/dicom-web/studies?limit=1',
    '/internal-orthanc/system',
    '/internal-orthanc/',
    '/%69nternal-orthanc/dicom-web/studies',
    '/api/../internal-orthanc/dicom-web/studies',
    '/api/ris/../../internal-orthanc/dicom-web/studies',
  ])('GET %s from outside answers 404 without Orthanc data', async (target) => {
    const response = await fetch(`${stack.baseUrl}${target}`, { headers: { authorization: stack.orthancAuthorization } });
    const body = await response.text();
    expect(response.status).toBe(404);
    expect(body).not.toMatch(/StudyInstanceUID|0020000D|Orthanc/i);
  });

  it('Orthanc refuses requests without its credentials (401) and with wrong ones', async () => {
    const bare = await fetch(`${stack.orthanc.url}/dicom-web/studies`);
    expect(bare.status).toBe(401);
    const wrong = await fetch(`${stack.orthanc.url}/system`, {
      headers: { authorization: `Basic ${Buffer.from('reading-station-nginx:guess').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
  });

  it('Orthanc has no explorer, no WADO-URI, and a DICOM port only for configured modalities', async () => {
    const headers = { authorization: stack.orthancAuthorization };
    expect((await fetch(`${stack.orthanc.url}/app/explorer.html`, { headers })).status).toBe(404);
    const wado = await fetch(`${stack.orthanc.url}/wado?requestType=WADO&objectUID=1.2.3`, { headers });
    expect(wado.status).not.toBe(200);
    // The DICOM port takes associations from configured modalities only (dicom-port.test.ts sends).
    const config = JSON.parse(readFileSync(stack.orthanc.configFile, 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      DicomServerEnabled: true,
      DicomPort: stack.dicom.port,
      DicomAlwaysAllowEcho: false,
      DicomAlwaysAllowStore: false,
      DicomAlwaysAllowFind: false,
      DicomAlwaysAllowGet: false,
      DicomAlwaysAllowMove: false,
      DicomCheckModalityHost: true,
      HttpBindAddresses: ['127.0.0.1'],
      RemoteAccessAllowed: false,
      AuthenticationEnabled: true,
      OrthancExplorerEnabled: false,
      DicomWeb: { EnableWado: false },
    });
  });

  it('runs Orthanc >= 1.13 with DICOMweb >= 1.24', async () => {
    const headers = { authorization: stack.orthancAuthorization };
    const system = (await (await fetch(`${stack.orthanc.url}/system`, { headers })).json()) as { Version: string };
    const [major, minor] = system.Version.split('.').map(Number);
    expect(major === 1 ? (minor as number) >= 13 : (major as number) > 1).toBe(true);
    const plugin = (await (await fetch(`${stack.orthanc.url}/plugins/dicom-web`, { headers })).json()) as { Version: string };
    const [pMajor, pMinor] = plugin.Version.split('.').map(Number);
    expect(pMajor === 1 ? (pMinor as number) >= 24 : (pMajor as number) > 1).toBe(true);
  });

  it('answers health and readiness through nginx', async () => {
    expect((await fetch(`${stack.baseUrl}/api/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.baseUrl}/api/readyz`);
    expect(ready.status).toBe(200);
  });
});

describe('stack contract', () => {
  it('stack.json names the base URL, ports, PIDs, logs and the demo users file', () => {
    expect(stack.baseUrl).toBe(`http://127.0.0.1:${stack.ports.http}`);
    for (const name of ['orthanc', 'gate', 'nginx'] as const) {
      expect(stack.processes[name]?.pid).toBeGreaterThan(0);
      expect(() => process.kill(stack.processes[name]?.pid as number, 0)).not.toThrow();
    }
    expect(path.isAbsolute(stack.logs.orthanc as string)).toBe(true);
    expect(stack.demoUsersFile).toMatch(/demo-users\.json$/);
  });

  it('demo-users.json has every role, per-stack passwords and exactly the studies the seed rules give', () => {
    const roles = new Set(stack.demoUsers.map((u) => u.role));
    expect([...roles].sort()).toEqual(['admin', 'doctor', 'lab', 'nurse', 'patient', 'radiologist']);
    const { cohort } = manifest;
    const all = cohort.studies.map((s) => s.studyInstanceUid).sort();
    for (const user of stack.demoUsers) {
      expect(user.password.length).toBeGreaterThanOrEqual(16);
      const expected =
        user.role === 'admin'
          ? all
          : cohort.studies
              .filter((s) =>
                user.role === 'doctor'
                  ? s.orderingPhysician === user.username
                  : user.role === 'radiologist'
                    ? s.radiologist === user.username
                    : user.role === 'patient'
                      ? cohort.patients.find((p) => p.patientId === s.patientId)?.username === user.username
                      : false,
              )
              .map((s) => s.studyInstanceUid)
              .sort();
      expect([...user.studies].sort(), user.username).toEqual(expected);
    }
    // Passwords are made per stack, never the same twice within one.
    expect(new Set(stack.demoUsers.map((u) => u.password)).size).toBe(stack.demoUsers.length);
  });

  it('the demo cohort is large enough: >= 3 patients, >= 5 studies, >= 60 slices per series, both HTJ2K syntaxes', () => {
    const { cohort } = manifest;
    expect(cohort.patients.length).toBeGreaterThanOrEqual(3);
    expect(cohort.studies.length).toBeGreaterThanOrEqual(5);
    const series = cohort.studies.flatMap((s) => s.series);
    for (const s of series) expect(s.sliceCount).toBeGreaterThanOrEqual(60);
    expect(series.filter((s) => s.transferSyntaxUid === HTJ2K_LOSSLESS_RPCL)).toHaveLength(1);
    expect(series.filter((s) => s.transferSyntaxUid === HTJ2K_LOSSLESS).length).toBeGreaterThanOrEqual(series.length - 1);
  });
});

describe('HTJ2K frames as Orthanc serves them', () => {
  it('every demo series: first, middle and last frames are HTJ2K parts that decode to the generated pixels exactly', async () => {
    const headers = {
      authorization: stack.orthancAuthorization,
      accept: FRAME_ACCEPT,
    };
    let checked = 0;
    for (const study of manifest.cohort.studies) {
      for (const series of study.series) {
        const instances = manifest.instances.filter((i) => i.seriesInstanceUid === series.seriesInstanceUid);
        expect(instances).toHaveLength(series.sliceCount);
        const picks = [0, Math.floor(series.sliceCount / 2), series.sliceCount - 1];
        for (const sliceIndex of picks) {
          const instance = instances.find((i) => i.sliceIndex === sliceIndex);
          if (!instance) throw new Error(`slice ${sliceIndex} missing`);
          const url = `${stack.orthanc.url}/dicom-web/studies/${study.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${instance.sopInstanceUid}/frames/1`;
          const response = await fetch(url, { headers });
          expect(response.status, url).toBe(200);
          const contentType = response.headers.get('content-type') ?? '';
          expect(contentType).toMatch(/^multipart\/related/);
          const parts = parseMultipartRelated(new Uint8Array(await response.arrayBuffer()), contentType);
          expect(parts).toHaveLength(1);
          const part = parts[0]!;
          expect(part.transferSyntax).toBe(series.transferSyntaxUid);
          const decoded = decodeHtj2k(part.body);
          expect([decoded.width, decoded.height]).toEqual([series.phantom.columns, series.phantom.rows]);
          const expected = phantomSlice(series.phantom, sliceIndex);
          expect(decoded.pixels.length).toBe(expected.length);
          let mismatches = 0;
          for (let i = 0; i < expected.length; i++) if (decoded.pixels[i] !== expected[i]) mismatches++;
          expect(mismatches, `${series.seriesDescription} slice ${sliceIndex}`).toBe(0);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(manifest.cohort.studies.length * 3);
  });
});
