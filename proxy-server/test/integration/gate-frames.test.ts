import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAMES_PER_REQUEST } from '../../src/dicomweb/dicomweb-path.ts';
import { DICOM_JSON, FRAME_ACCEPT, accessToken, auditRows, bearer, call, demoUser, runningStack, type RunningStack } from '../support/gate-client.ts';

// Frame lists through nginx and the gate: a list is distinct frame numbers, at most
// MAX_FRAMES_PER_REQUEST of them; the viewer's ranges of 16 pass.
let stack: RunningStack;
let token: string;
let instancePath: string;

beforeAll(async () => {
  stack = runningStack();
  token = await accessToken(stack, 'dr.house');
  const study = demoUser(stack, 'dr.house').studies[0] as string;
  const reply = await call(stack, `/api/ris/dicom-web/studies/${study}/metadata`, { headers: { ...bearer(token), accept: DICOM_JSON } });
  expect(reply.status).toBe(200);
  const first = (JSON.parse(reply.text) as Array<Record<string, { Value?: string[] }>>)[0];
  instancePath = `/api/ris/dicom-web/studies/${study}/series/${first?.['0020000E']?.Value?.[0]}/instances/${first?.['00080018']?.Value?.[0]}`;
});

const frames = (list: number[]) => `${instancePath}/frames/${list.join(',')}`;
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('frame lists', () => {
  it.each([
    ['the same frame repeated', Array.from({ length: 40 }, () => 1), /frame 1 is listed more than once/],
    ['a repeat at the end of a range', [...range(1, 16), 3], /frame 3 is listed more than once/],
    ['one frame more than the maximum', range(1, MAX_FRAMES_PER_REQUEST + 1), new RegExp(`at most ${MAX_FRAMES_PER_REQUEST} frames per request`)],
  ])('%s is a 400 JSON INVALID_PATH, audited as a bad request, and Orthanc is not asked', async (_name, list, message) => {
    const reply = await call(stack, frames(list), { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(reply.text) as { code: string; error: string };
    expect(body.code).toBe('INVALID_PATH');
    expect(body.error).toMatch(message);
    expect(reply.headers.get('x-accel-redirect')).toBeNull();
    expect(auditRows(stack, [reply.requestId!])).toMatchObject([{ action: 'DICOM_BAD_REQUEST' }]);
  });

  it('the viewer’s range of 16 frames and the longest allowed list are let through to Orthanc and audited as accesses', async () => {
    for (const list of [range(1, 16), range(1, MAX_FRAMES_PER_REQUEST)]) {
      const reply = await call(stack, frames(list), { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
      // The demo's slices have one frame: Orthanc, not the gate, decides what a missing frame answers.
      expect(reply.text).not.toContain('INVALID_PATH');
      expect(auditRows(stack, [reply.requestId!])).toMatchObject([{ action: 'DICOM_ACCESS', route_kind: 'instance.frames' }]);
    }
  });
});
