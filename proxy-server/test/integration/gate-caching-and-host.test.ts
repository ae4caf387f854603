import { beforeAll, describe, expect, it } from 'vitest';
import { DICOM_JSON, FRAME_ACCEPT, accessToken, bearer, call, demoUser, rawRequest, runningStack, type RunningStack } from '../support/gate-client.ts';

// What the gate lets a browser or the desktop keep (nothing: every view must be a gated, audited
// request), and what Orthanc is told about the public address (never the client's Host header).
let stack: RunningStack;
let token: string;
let study: string;

beforeAll(async () => {
  stack = runningStack();
  token = await accessToken(stack, 'dr.house');
  study = demoUser(stack, 'dr.house').studies[0] as string;
});

interface SeriesMetadata {
  series: string;
  instance: string;
  json: string;
}

async function firstInstance(): Promise<SeriesMetadata> {
  const reply = await call(stack, `/api/ris/dicom-web/studies/${study}/metadata`, { headers: { ...bearer(token), accept: DICOM_JSON } });
  expect(reply.status).toBe(200);
  const instances = JSON.parse(reply.text) as Array<Record<string, { Value?: string[] }>>;
  const first = instances[0];
  return { series: first?.['0020000E']?.Value?.[0] ?? '', instance: first?.['00080018']?.Value?.[0] ?? '', json: reply.text };
}

describe('DICOMweb answers are never cached by the client', () => {
  it('metadata, searches and frames carry Cache-Control: no-store through nginx', async () => {
    const { series, instance } = await firstInstance();
    const targets: Array<[string, string]> = [
      [`/api/ris/dicom-web/studies/${study}/metadata`, DICOM_JSON],
      [`/api/ris/dicom-web/studies/${study}/series`, DICOM_JSON],
      [`/api/ris/dicom-web/studies?StudyInstanceUID=${study}`, DICOM_JSON],
      [`/api/ris/dicom-web/studies/${study}/series/${series}/instances/${instance}/frames/1`, FRAME_ACCEPT],
    ];
    for (const [target, accept] of targets) {
      const reply = await call(stack, target, { headers: { ...bearer(token), accept } });
      expect(reply.status, target).toBe(200);
      expect(reply.headers.get('cache-control'), target).toBe('no-store');
      expect(reply.headers.get('expires'), target).toBeNull();
    }
  });
});

describe('Orthanc is told the public address, not the client’s Host', () => {
  // A study search's RetrieveURL (0008,1190) is built by Orthanc from what nginx forwards.
  const retrieveUrls = (json: string) => [...json.matchAll(/"(https?:\/\/[^"]+)"/g)].map((match) => match[1] as string);

  it('a forged Host header never reaches the retrieve URLs Orthanc writes', async () => {
    const search = `/api/ris/dicom-web/studies?StudyInstanceUID=${study}`;
    const honest = await call(stack, search, { headers: { ...bearer(token), accept: DICOM_JSON } });
    expect(retrieveUrls(honest.text).length, 'the search answer carries retrieve URLs to check').toBeGreaterThan(0);
    for (const uri of retrieveUrls(honest.text)) expect(new URL(uri).origin).toBe(new URL(stack.baseUrl).origin);

    const forged = await rawRequest(stack, search, { Authorization: `Bearer ${token}`, Accept: DICOM_JSON }, 'evil.example;proto=javascript');
    expect(forged.status, 'nginx accepts this Host, so the request reaches Orthanc').toBe(200);
    expect(forged.raw).not.toMatch(/evil\.example|javascript:/);
    expect(retrieveUrls(forged.raw).length).toBeGreaterThan(0);
    for (const uri of retrieveUrls(forged.raw)) expect(new URL(uri).origin).toBe(new URL(stack.baseUrl).origin);
  });
});
