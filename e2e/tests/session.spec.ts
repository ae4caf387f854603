import { expect, test } from '../support/fixtures.ts';
import { revokeSessions } from '../support/stack-under-test.ts';

/** A study with two series: the second one's frames are fetched only when it is opened. */
const TWO_SERIES_STUDY = 'RS24031201';

test('the viewer keeps loading across the access token’s expiry (silent refresh)', async ({ signIn, worklist, viewer, demo, page }) => {
  const { expiresAt } = await signIn('rad.chen');
  const lifetimeMs = Date.parse(expiresAt) - Date.now();
  test.skip(lifetimeMs > 60_000, `needs a stack with short-lived access tokens (RS_ACCESS_TOKEN_TTL=30); this one issues ${Math.round(lifetimeMs / 1000)} s`);
  const study = demo.cohort.studies.find((s) => s.accessionNumber === TWO_SERIES_STUDY);
  const second = study?.series[1];
  if (!study || !second) throw new Error(`${TWO_SERIES_STUDY} is not in the demo data`);
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0 });

  const refused: string[] = [];
  page.on('response', (response) => {
    if (response.status() === 401 && response.url().includes('/api/ris/')) refused.push(response.url());
  });
  // Wait for the first token's own expiry, as the page's clock sees it.
  await page.waitForFunction((deadline) => Date.now() > Date.parse(deadline) + 1000, expiresAt, { timeout: lifetimeMs + 30_000, polling: 500 });

  const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/auth/refresh') && r.request().method() === 'POST');
  await viewer.thumbnails.nth(1).click();
  expect((await refreshed).status()).toBe(200);
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: second.seriesInstanceUid });
  await viewer.scrollToSlice(20);
  await viewer.waitForRendered({ imageIndex: 20, seriesInstanceUid: second.seriesInstanceUid });
  expect(refused).toEqual([]);
  await expect(viewer.banner).toHaveCount(0);
});

test('after the session is revoked server-side, the next request returns the user to login', async ({
  signIn,
  worklist,
  viewer,
  loginPage,
  demo,
  stackUnderTest,
}) => {
  await signIn('dr.house');
  const study = demo.cohort.studies.find((s) => s.accessionNumber === TWO_SERIES_STUDY);
  const first = study?.series[0];
  if (!study || !first) throw new Error(`${TWO_SERIES_STUDY} is not in the demo data`);
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0 });
  // The first series' prefetch runs on after its first image; once it is done, nothing is in flight
  // (every slice decoded on a 2-core machine that may be busy: more than the default wait).
  await expect(viewer.thumbnails.first().getByTestId('series-progress')).toContainText(`${first.sliceCount}/${first.sliceCount}`, { timeout: 60_000 });

  expect(await revokeSessions(stackUnderTest, 'dr.house')).toMatch(/ended \d+ session/);
  // The next request: the second series' frames.
  await viewer.thumbnails.nth(1).click();
  await expect(loginPage.sessionEnded).toContainText('Your session has ended');
  await expect(loginPage.username).toBeVisible();
  await viewer.expectNoPixels();
});
