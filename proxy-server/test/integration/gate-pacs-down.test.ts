import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { stackCli } from '@reading-station/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, bearer, call, demoUser, runningStack, type RunningStack } from '../support/gate-client.ts';

const run = promisify(execFile);
let stack: RunningStack;

const orthanc = (action: 'stop' | 'start') => run(process.execPath, [stackCli, 'orthanc', action], { env: process.env, timeout: 90_000 });

beforeAll(() => {
  stack = runningStack();
});
afterAll(async () => {
  await orthanc('start');
});

describe('PACS unreachable', () => {
  it('Orthanc stopped → 502 JSON from nginx; after it returns, requests succeed without restarting anything', async () => {
    const token = await accessToken(stack, 'dr.house');
    const target = `/api/ris/dicom-web/studies/${demoUser(stack, 'dr.house').studies[0]}/series`;
    expect((await call(stack, target, { headers: bearer(token) })).status).toBe(200);

    // Each phase asks with a fresh token: stopping and starting Orthanc can outlast the test
    // stack's 30-second access tokens on a busy machine, and token expiry is not under test here.
    await orthanc('stop');
    const down = await call(stack, target, { headers: bearer(await accessToken(stack, 'dr.house')) });
    expect(down.status).toBe(502);
    expect(down.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(down.text)).toMatchObject({ error: 'PACS server connection failed', code: 'PACS_UNREACHABLE' });
    expect((await call(stack, '/api/readyz')).status).toBe(503);

    await orthanc('start');
    const back = await call(stack, target, { headers: bearer(await accessToken(stack, 'dr.house')) });
    expect(back.status).toBe(200);
    expect((JSON.parse(back.text) as unknown[]).length).toBeGreaterThan(0);
    expect((await call(stack, '/api/readyz')).status).toBe(200);
  });
});
