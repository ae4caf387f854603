import type { Page } from '@playwright/test';
import type { DemoManifest } from '@reading-station/demo-data';
import type { ViewerPage } from '../pages/viewer-page.ts';
import { expect, test } from '../support/fixtures.ts';
import { demoUser, revokeSessions, type StackUnderTest } from '../support/stack-under-test.ts';

// One tab, two users: whatever the first one read and drew must not reach the second, neither on
// screen nor in the page (URL, history entries, DOM, resource timings), whether the first signed
// out or the server ended the session.

interface PageGlobals {
  location: { href: string };
  history: { state: unknown };
  document: { documentElement: { outerHTML: string } };
  performance: { getEntriesByType(type: string): Array<{ name: string }> };
}

/**
 * Where each of `needles` still appears in the page; empty when it left no trace. Resource timings
 * are checked while signed out (none is kept then); once the next user is in, a load of the
 * previous session that was still in flight could only add one, so they are left out there.
 */
async function tracesOf(page: Page, needles: readonly string[], { signedOut = false } = {}): Promise<string[]> {
  const places = await page.evaluate(() => {
    // The browser's globals (this code is type-checked without the DOM's types).
    const g = globalThis as unknown as PageGlobals;
    return {
      url: g.location.href,
      historyState: JSON.stringify(g.history.state),
      dom: g.document.documentElement.outerHTML,
      resourceTimings: g.performance
        .getEntriesByType('resource')
        .map((entry) => entry.name)
        .join('\n'),
    };
  });
  if (!signedOut) places.resourceTimings = '';
  const found: string[] = [];
  for (const needle of needles) {
    for (const [place, text] of Object.entries(places)) if (text.includes(needle)) found.push(`${needle} in ${place}`);
  }
  return found;
}

async function drawLength(viewer: ViewerPage): Promise<string> {
  await viewer.waitForRendered({ imageIndex: 0 });
  await viewer.tool('Length').click();
  await viewer.dragBetweenImagePoints({ x: 150, y: 250 }, { x: 350, y: 250 });
  await expect(viewer.measurements).toHaveCount(1);
  const text = (await viewer.measurements.first().textContent()) ?? '';
  expect(text).toMatch(/[\d.]+ mm/);
  return /[\d.]+ mm/.exec(text)![0];
}

function studiesOf(stack: StackUnderTest, demo: DemoManifest, username: string) {
  const visible = new Set(demoUser(stack, username).studies);
  return demo.cohort.studies.filter((study) => visible.has(study.studyInstanceUid));
}

test('after a sign-out, the next user in the same tab starts at the worklist with nothing of the previous one', async ({
  signIn,
  loginPage,
  worklist,
  viewer,
  demo,
  stackUnderTest,
  page,
}) => {
  const first = studiesOf(stackUnderTest, demo, 'rad.chen');
  const secondVisible = new Set(studiesOf(stackUnderTest, demo, 'dr.house').map((s) => s.studyInstanceUid));
  const onlyFirst = first.find((s) => !secondVisible.has(s.studyInstanceUid));
  const shared = first.find((s) => secondVisible.has(s.studyInstanceUid));
  if (!onlyFirst || !shared) throw new Error('the demo data has no study of rad.chen that dr.house cannot see and one both see');
  // Three studies opened and two users signed in: more than one test's usual budget on a busy machine.
  test.setTimeout(240_000);

  await signIn('rad.chen');
  await worklist.open(onlyFirst.studyInstanceUid);
  const privateLength = await drawLength(viewer);
  await page.getByRole('link', { name: 'Reading Station' }).click();
  await worklist.open(shared.studyInstanceUid);
  const sharedLength = await drawLength(viewer);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(loginPage.username).toBeVisible();
  await viewer.expectNoPixels();
  expect(await tracesOf(page, [onlyFirst.studyInstanceUid, shared.studyInstanceUid, onlyFirst.accessionNumber, privateLength, sharedLength], { signedOut: true })).toEqual([]);

  const second = demoUser(stackUnderTest, 'dr.house');
  await loginPage.signIn(second.username, second.password);
  await worklist.waitForStudies(second.studies.length);
  await expect(page).toHaveURL(/#\/worklist$/);
  await expect(viewer.measurements).toHaveCount(0);
  expect(await tracesOf(page, [onlyFirst.studyInstanceUid, onlyFirst.accessionNumber, privateLength, sharedLength])).toEqual([]);

  // The study both may see opens without the first user's line, on screen or in the list.
  await worklist.open(shared.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0 });
  await viewer.waitForAnimationFrames(300);
  await expect(viewer.measurements).toHaveCount(0);
  await expect(viewer.viewport.locator('svg text', { hasText: /mm$/ })).toHaveCount(0);

  // Back walks through the second user's own pages, then stops at the worklist instead of
  // reopening the first user's studies.
  for (let step = 0; step < 4; step += 1) await page.goBack();
  await expect(worklist.heading).toBeVisible();
  await expect(worklist.rows).toHaveCount(second.studies.length);
  expect(await tracesOf(page, [onlyFirst.studyInstanceUid, privateLength])).toEqual([]);
});

test('a session the server ends (revoked) leaves nothing to the next user in the same tab', async ({ signIn, loginPage, worklist, viewer, demo, stackUnderTest, page }) => {
  const study = studiesOf(stackUnderTest, demo, 'dr.house').find((s) => s.series.length > 1);
  if (!study) throw new Error('dr.house has no study with two series in the demo data');
  await signIn('dr.house');
  await worklist.open(study.studyInstanceUid);
  const length = await drawLength(viewer);

  expect(await revokeSessions(stackUnderTest, 'dr.house')).toMatch(/ended \d+ session/);
  // The next request (the second series' frames) finds the session over.
  await viewer.thumbnails.nth(1).click();
  await expect(loginPage.sessionEnded).toContainText('Your session has ended');
  await viewer.expectNoPixels();
  expect(await tracesOf(page, [study.studyInstanceUid, study.accessionNumber, length], { signedOut: true })).toEqual([]);

  const next = demoUser(stackUnderTest, 'rad.okafor');
  await loginPage.signIn(next.username, next.password);
  await worklist.waitForStudies(next.studies.length);
  await expect(page).toHaveURL(/#\/worklist$/);
  await expect(viewer.measurements).toHaveCount(0);
  const tracesForNext = await tracesOf(page, [length, ...(next.studies.includes(study.studyInstanceUid) ? [] : [study.studyInstanceUid, study.accessionNumber])]);
  expect(tracesForNext).toEqual([]);
});
