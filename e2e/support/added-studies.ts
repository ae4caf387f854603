/**
 * Specs that add studies to the stack under test take them out again, so the specs after them see
 * only the demo cohort: deleted through Orthanc's REST API (the way a PACS loses a study), then
 * waited for until the registry sync has dropped them from the admin's worklist.
 */
import { readFileSync } from 'node:fs';
import { expect, type APIRequestContext } from '@playwright/test';
import { demoUser, type StackUnderTest } from './stack-under-test.ts';

/** Orthanc's REST API with the stack's own credentials. */
export function orthancFetch(stack: StackUnderTest, pathname: string, init: RequestInit = {}): Promise<Response> {
  const config = JSON.parse(readFileSync(stack.stack.orthanc.configFile, 'utf8')) as { RegisteredUsers?: Record<string, string> };
  const [user, password] = Object.entries(config.RegisteredUsers ?? {})[0] ?? [];
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return fetch(`${stack.stack.orthanc.url}${pathname}`, { ...init, headers: { authorization, ...init.headers } });
}

/** The admin's worklist through the gate, for search `q`. */
export async function adminWorklist(request: APIRequestContext, stack: StackUnderTest, q: string): Promise<Array<{ studyInstanceUid: string; patientName: string }>> {
  const admin = demoUser(stack, 'admin');
  const login = await request.post('/api/auth/login', { data: { username: admin.username, password: admin.password, client: 'desktop' } });
  expect(login.status()).toBe(200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const reply = await request.get(`/api/ris/worklist?${new URLSearchParams({ q, limit: '500' })}`, { headers: { authorization: `Bearer ${accessToken}` } });
  expect(reply.status()).toBe(200);
  return ((await reply.json()) as { items: Array<{ studyInstanceUid: string; patientName: string }> }).items;
}

/** Deletes these studies from Orthanc and waits until none of them is in the admin's worklist. */
export async function removeAddedStudies(request: APIRequestContext, stack: StackUnderTest, studyInstanceUids: readonly string[]): Promise<void> {
  for (const uid of studyInstanceUids) {
    const lookup = await orthancFetch(stack, '/tools/lookup', { method: 'POST', body: uid });
    // Every Orthanc study of the UID: one the PACS holds under two patients is two.
    const found = (await lookup.json()) as Array<{ Type: string; ID: string }>;
    for (const entry of found) if (entry.Type === 'Study') await orthancFetch(stack, `/studies/${entry.ID}`, { method: 'DELETE' });
  }
  const uids = new Set(studyInstanceUids);
  await expect.poll(async () => (await adminWorklist(request, stack, '')).some((item) => uids.has(item.studyInstanceUid)), { timeout: 60_000 }).toBe(false);
}
