import { beforeAll, describe, expect, it } from 'vitest';
import { accessToken, auditRows, bearer, call, demoUser, runningStack, type RunningStack } from '../support/gate-client.ts';

// What a caller learns beyond the studies they may see: patients no staff login names, and no role
// but the administrator whether a study it may not see exists.

let stack: RunningStack;

beforeAll(() => {
  stack = runningStack();
});

const staff = () => stack.demoUsers.filter((user) => user.role !== 'patient');

describe('the worklist', () => {
  it('shows patients the display names of their doctors and radiologists, never their login names', async () => {
    const reply = await call(stack, '/api/ris/worklist', { headers: bearer(await accessToken(stack, 'pat.doe')) });
    expect(reply.status).toBe(200);
    const { items } = JSON.parse(reply.text) as { items: Array<{ orderingPhysician: Record<string, string> | null; radiologist: Record<string, string> | null }> };
    const people = items.flatMap((item) => [item.orderingPhysician, item.radiologist]).filter((person) => person !== null);
    expect(people.length).toBeGreaterThan(0);
    for (const person of people) expect(Object.keys(person)).toEqual(['displayName']);
    for (const user of staff()) expect(reply.text.includes(`"${user.username}"`), user.username).toBe(false);
    expect(people.map((person) => person.displayName)).toEqual(expect.arrayContaining([expect.stringMatching(/\S/)]));
  });

  it('still shows staff the login names of their colleagues', async () => {
    const reply = await call(stack, '/api/ris/worklist', { headers: bearer(await accessToken(stack, 'rad.chen')) });
    const { items } = JSON.parse(reply.text) as { items: Array<{ radiologist: { username?: string } | null }> };
    expect(items.some((item) => item.radiologist?.username === 'rad.chen')).toBe(true);
  });
});

describe('forbidden and unknown studies', () => {
  const unknownStudy = '2.25.99999999999999999999999';

  it.each(['pat.smith', 'rad.chen', 'dr.grey', 'nurse.joy'])('%s gets one answer for another study and for no study; the audit row says which', async (username) => {
    const token = await accessToken(stack, username);
    const own = new Set(demoUser(stack, username).studies);
    const foreign = demoUser(stack, 'admin').studies.find((uid) => !own.has(uid))!;
    const forbidden = await call(stack, `/api/ris/dicom-web/studies/${foreign}/metadata`, { headers: bearer(token) });
    const missing = await call(stack, `/api/ris/dicom-web/studies/${unknownStudy}/metadata`, { headers: bearer(token) });
    expect(missing.status).toBe(forbidden.status);
    expect(forbidden.status).toBe(403);
    const body = (text: string) => {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      delete parsed.requestId;
      return parsed;
    };
    expect(body(missing.text)).toEqual(body(forbidden.text));
    expect(auditRows(stack, [forbidden.requestId!, missing.requestId!]).map((row) => row.reason)).toEqual([
      'STUDY_FORBIDDEN: permission denied',
      'STUDY_NOT_FOUND: study not found',
    ]);
  });

  it('the administrator, who may see every study, is told that a study does not exist', async () => {
    const reply = await call(stack, `/api/ris/dicom-web/studies/${unknownStudy}/metadata`, { headers: bearer(await accessToken(stack, 'admin')) });
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'STUDY_NOT_FOUND' });
  });
});
