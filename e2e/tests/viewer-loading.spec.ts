import type { Page } from '@playwright/test';
import { expectedStoredValues, samplePoints } from '../support/demo-data.ts';
import { expect, test } from '../support/fixtures.ts';
import { orthanc } from '../support/stack-under-test.ts';

/** Dr. Chen's two-series chest CT; its first series has 80 slices. */
const CHEST_CT = 'RS24031201';

/** Chromium's own network throttling (DevTools protocol): every request this late. */
async function slowNetwork(page: Page, latencyMs: number): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: latencyMs, downloadThroughput: -1, uploadThroughput: -1 });
  return async () => {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  };
}

function loadedOf(text: string | null): number {
  return Number(/(\d+)\/\d+/.exec(text ?? '')?.[1] ?? NaN);
}

test('Orthanc stopped mid-load: the series shows the error with Retry at once, the slices that loaded stay readable, and Retry loads the rest once it is back', async ({
  signIn,
  worklist,
  viewer,
  demo,
  stackUnderTest,
  page,
}) => {
  test.setTimeout(180_000);
  await signIn('rad.chen');
  const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
  const series = study?.series[0];
  if (!study || !series) throw new Error(`${CHEST_CT} is not in the demo data`);
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: series.seriesInstanceUid });
  // Slow enough that the series is still loading when the archive goes away.
  const normalNetwork = await slowNetwork(page, 700);
  const progress = viewer.thumbnails.first().getByTestId('series-progress');
  await expect.poll(async () => loadedOf(await progress.textContent())).toBeGreaterThanOrEqual(3);

  await orthanc(stackUnderTest, 'stop');
  const stoppedAt = Date.now();
  try {
    await expect(viewer.banner).toHaveAttribute('data-error-code', 'PACS_UNREACHABLE', { timeout: 35_000 });
    await expect(viewer.banner).toContainText('PACS unreachable');
    await expect(viewer.banner.getByRole('button', { name: 'Retry' })).toBeVisible();
    test.info().annotations.push({ type: 'error shown', description: `${Date.now() - stoppedAt} ms after Orthanc stopped` });
    // Part of the series failed, part had loaded and stays readable: its second slice (prefetched
    // first, next to the first) is drawn with the generated pixels while the archive is down.
    await expect(progress).toContainText('failed');
    const loaded = loadedOf(await progress.textContent());
    expect(loaded).toBeLessThan(series.sliceCount);
    await viewer.scrollToSlice(1);
    await viewer.waitForRendered({ imageIndex: 1 });
    const points = samplePoints(32);
    expect(await viewer.readStoredValues(points)).toEqual(expectedStoredValues(series, 1, points));
  } finally {
    await orthanc(stackUnderTest, 'start');
  }
  await normalNetwork();
  await viewer.banner.getByRole('button', { name: 'Retry' }).click();
  await expect(viewer.banner).toHaveCount(0);
  await expect(progress).toContainText(`${series.sliceCount}/${series.sliceCount}`, { timeout: 90_000 });
  await expect(progress).not.toContainText('failed');
  await page.keyboard.press('End');
  await viewer.waitForRendered({ imageIndex: series.sliceCount - 1 });
});

test('an archive that answers with errors is asked again with a growing pause, and the page says what it waits for', async ({ signIn, worklist, viewer, demo, page }) => {
  await signIn('rad.chen');
  const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
  const series = study?.series[0];
  if (!study || !series) throw new Error(`${CHEST_CT} is not in the demo data`);
  // The study's series list fails twice as the gate says when Orthanc is down, then answers.
  let refused = 0;
  await page.route(`**/studies/${study.studyInstanceUid}/series?*`, async (route) => {
    if (refused < 2) {
      refused += 1;
      await route.fulfill({ status: 502, contentType: 'application/json', body: JSON.stringify({ error: 'PACS unreachable', code: 'PACS_UNREACHABLE' }) });
      return;
    }
    await route.fallback();
  });
  await worklist.open(study.studyInstanceUid);
  const status = page.getByTestId('load-status');
  await expect(status).toContainText("Asking again for the study's series list in 1 s (attempt 2 of 3)");
  await expect(status).toContainText("Asking again for the study's series list in 2 s (attempt 3 of 3)");
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: series.seriesInstanceUid });
  expect(refused).toBe(2);
  await expect(viewer.banner).toHaveCount(0);
  await expect(status).toHaveCount(0);
});

test('an archive that keeps failing ends in an error with Retry, not an endless "Loading"', async ({ signIn, worklist, viewer, demo, page }) => {
  await signIn('rad.chen');
  const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
  const series = study?.series[0];
  if (!study || !series) throw new Error(`${CHEST_CT} is not in the demo data`);
  let down = true;
  let asked = 0;
  await page.route(`**/studies/${study.studyInstanceUid}/series?*`, async (route) => {
    if (!down) return route.fallback();
    asked += 1;
    await route.fulfill({ status: 502, contentType: 'application/json', body: JSON.stringify({ error: 'PACS unreachable', code: 'PACS_UNREACHABLE' }) });
  });
  await worklist.open(study.studyInstanceUid);
  // Three attempts, 1 s and 2 s apart.
  await expect(viewer.banner).toHaveAttribute('data-error-code', 'PACS_UNREACHABLE', { timeout: 10_000 });
  expect(asked).toBe(3);
  await expect(page.getByTestId('load-status')).toHaveCount(0);
  down = false;
  await viewer.banner.getByRole('button', { name: 'Retry' }).click();
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: series.seriesInstanceUid });
});
