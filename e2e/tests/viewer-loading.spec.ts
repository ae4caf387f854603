import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import type { DemoManifest } from '@reading-station/demo-data';
import { StackFileSchema } from '@reading-station/stack';
import type { ViewerPage } from '../pages/viewer-page.ts';
import type { WorklistPage } from '../pages/worklist-page.ts';
import { expectedStoredValues, samplePoints } from '../support/demo-data.ts';
import { expect, test } from '../support/fixtures.ts';
import { orthanc, type StackUnderTest } from '../support/stack-under-test.ts';

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

/**
 * Orthanc paused, not stopped (SIGSTOP): its port still accepts connections and nothing is ever
 * answered, as an archive that hangs. `resume()` (SIGCONT) must always follow, in a `finally`.
 * The PID is read from stack.json now: `orthanc stop|start` gives Orthanc a new one.
 */
function pauseOrthanc(stack: StackUnderTest): { resume(): void } {
  const current = StackFileSchema.parse(JSON.parse(readFileSync(path.join(stack.stateDir, 'stack.json'), 'utf8')));
  const pid = current.processes.orthanc?.pid;
  if (!pid) throw new Error(`the stack at ${stack.stateDir} runs no Orthanc`);
  process.kill(pid, 'SIGSTOP');
  return { resume: () => process.kill(pid, 'SIGCONT') };
}

interface LoadingFixtures {
  signIn: (username: string) => Promise<unknown>;
  worklist: WorklistPage;
  viewer: ViewerPage;
  demo: DemoManifest;
  page: Page;
}

/**
 * The viewer's series retrieval of the chest CT's first series (one stream for the series), held
 * back until `release` says how to go on: `'as-is'` sends it on to the archive (paused by then,
 * or back), `'cut'` answers with the first third of what the archive sent before it went away, as
 * a stream broken mid-way arrives. Later retrievals (Retry) go through untouched. Holding it is what
 * makes the archive go away mid-series: Orthanc writes a whole series into the sockets within a
 * fraction of a second, so stopping it once it has started sending cuts nothing short.
 */
function holdSeriesStream(page: Page, seriesInstanceUid: string) {
  let release!: (how: 'as-is' | 'cut') => void;
  const released = new Promise<'as-is' | 'cut'>((resolve) => (release = resolve));
  let held = false;
  const streamed = page.route(
    (url) => url.pathname.endsWith(`/series/${seriesInstanceUid}`),
    async (route) => {
      if (held) return route.fallback();
      held = true;
      // Fetched now, while the archive is up; answered once released.
      const whole = await route.fetch();
      const body = await whole.body();
      if ((await released) === 'as-is') return route.fallback();
      await route.fulfill({ response: whole, body: body.subarray(0, Math.floor(body.length / 3)) });
    },
  );
  return { streamed, release: (how: 'as-is' | 'cut') => release(how), wasHeld: () => held };
}

/** The chest CT's first series (80 slices). */
function chestCt(demo: DemoManifest) {
  const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
  const series = study?.series[0];
  if (!study || !series) throw new Error(`${CHEST_CT} is not in the demo data`);
  return { study, series };
}

/** Dr. Chen's chest CT opened and its first image drawn, with its first series' stream held (holdSeriesStream). */
async function chestCtStreamHeld({ signIn, worklist, viewer, demo, page }: LoadingFixtures) {
  await signIn('rad.chen');
  const { study, series } = chestCt(demo);
  const stream = holdSeriesStream(page, series.seriesInstanceUid);
  await stream.streamed;
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: series.seriesInstanceUid });
  return { series, stream };
}

/**
 * Dr. Chen's chest CT opened, its first series still loading behind a network slow enough that
 * it is still loading when the archive goes away: the slices next to the first, fetched on their
 * own, have arrived; the series' stream is held (holdSeriesStream).
 */
async function chestCtLoading({ signIn, worklist, viewer, demo, page }: LoadingFixtures) {
  const { series, stream } = await chestCtStreamHeld({ signIn, worklist, viewer, demo, page });
  const normalNetwork = await slowNetwork(page, 700);
  const progress = viewer.thumbnails.first().getByTestId('series-progress');
  await expect.poll(async () => loadedOf(await progress.textContent())).toBeGreaterThanOrEqual(3);
  await expect.poll(stream.wasHeld).toBe(true);
  return { series, progress, normalNetwork, releaseStream: stream.release };
}

type LoadingSeries = Awaited<ReturnType<typeof chestCtLoading>>['series'];

/**
 * Part of the series failed, part had loaded and stays readable: its second slice (prefetched
 * first, next to the first) is drawn with the generated pixels while the archive is away.
 */
async function loadedSlicesReadable({ viewer }: Pick<LoadingFixtures, 'viewer'>, series: LoadingSeries, progress: Locator) {
  await expect(progress).toContainText('failed');
  expect(loadedOf(await progress.textContent())).toBeLessThan(series.sliceCount);
  await viewer.scrollToSlice(1);
  await viewer.waitForRendered({ imageIndex: 1 });
  const points = samplePoints(32);
  expect(await viewer.readStoredValues(points)).toEqual(expectedStoredValues(series, 1, points));
}

/** With the archive back: Retry loads the rest of the series, its last slice included. */
async function retryLoadsTheRest({ viewer, page }: Pick<LoadingFixtures, 'viewer' | 'page'>, series: LoadingSeries, progress: Locator) {
  await viewer.banner.getByRole('button', { name: 'Retry' }).click();
  await expect(viewer.banner).toHaveCount(0);
  await expect(progress).toContainText(`${series.sliceCount}/${series.sliceCount}`, { timeout: 90_000 });
  await expect(progress).not.toContainText('failed');
  await page.keyboard.press('End');
  await viewer.waitForRendered({ imageIndex: series.sliceCount - 1 });
}

test('a single-frame series comes in one series retrieval: 80 slices in a few gated requests, each slice decoded from the stream with the generated pixels', async ({ signIn, worklist, viewer, demo, page }) => {
  await signIn('rad.chen');
  const { study, series } = chestCt(demo);
  const requests: string[] = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.includes(`/series/${series.seriesInstanceUid}`) && !pathname.endsWith('/metadata')) requests.push(pathname);
  });
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: series.seriesInstanceUid });
  const progress = viewer.thumbnails.first().getByTestId('series-progress');
  // Decoding 80 slices takes a while on a busy machine.
  await expect(progress).toContainText(`${series.sliceCount}/${series.sliceCount}`, { timeout: 90_000 });
  const retrievals = requests.filter((p) => p.endsWith(`/series/${series.seriesInstanceUid}`));
  const frames = requests.filter((p) => p.includes('/frames/'));
  test.info().annotations.push({ type: 'requests', description: `${retrievals.length} series retrieval, ${frames.length} frame requests for ${series.sliceCount} slices` });
  expect(retrievals).toHaveLength(1);
  // The slice on screen, its two neighbours and the thumbnail's slice, on their own.
  expect(frames.length).toBeLessThanOrEqual(4);
  // Slices that came out of the stream show the pixels the generator made.
  const points = samplePoints(32);
  for (const index of [series.sliceCount - 1, Math.floor(series.sliceCount / 2)]) {
    await viewer.scrollToSlice(index);
    await viewer.waitForRendered({ imageIndex: index });
    expect(await viewer.readStoredValues(points)).toEqual(expectedStoredValues(series, index, points));
  }
});

test('the first image of an HTJ2K study is drawn from a reduced-resolution decode first, then replaced by the full image', async ({ signIn, viewer, demo }) => {
  const { user } = await signIn('rad.chen');
  const { study, series } = chestCt(demo);
  expect(series.transferSyntaxUid).toMatch(/^1\.2\.840\.10008\.1\.2\.4\.20[12]$/);
  // Another study first, so that the decode workers run and have their codec compiled: the
  // preview and the full decode start side by side, and in a viewer still compiling its codec in
  // both workers the full image may be drawn first (then there is nothing to preview).
  const other = demo.cohort.studies.find((s) => user.studies.includes(s.studyInstanceUid) && s.studyInstanceUid !== study.studyInstanceUid);
  if (!other) throw new Error('rad.chen has only the chest CT in the demo data');
  await viewer.gotoStudy(other.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0 });
  await viewer.gotoStudy(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: series.seriesInstanceUid });
  const state = await viewer.state();
  const { rows, columns } = series.phantom;
  // One preview, of the image the study opened on, at a quarter of each side, gone once the full image was drawn.
  expect(state?.previews).toEqual([
    expect.objectContaining({ imageId: state?.renderedImageId, columns: Math.ceil(columns / 4), rows: Math.ceil(rows / 4), fullColumns: columns, fullRows: rows }),
  ]);
  const [preview] = state?.previews ?? [];
  expect(preview?.removedAt).toBeGreaterThanOrEqual(preview?.shownAt ?? Infinity);
  await expect(viewer.page.getByTestId('image-preview')).toHaveCount(0);
  await expect(viewer.page.getByTestId('image-preview-label')).toHaveCount(0);
  // What is shown now is the full image, with the generated pixels.
  expect(state).toMatchObject({ columns, rows });
  const points = samplePoints(32);
  expect(await viewer.readStoredValues(points)).toEqual(expectedStoredValues(series, 0, points));
});

test('a slice scrolled to while its series still loads is drawn at reduced resolution first, then in full', async ({ signIn, worklist, viewer, demo, page }) => {
  // The series' stream held back: the slice scrolled to waits for it, undecoded.
  const { series, stream } = await chestCtStreamHeld({ signIn, worklist, viewer, demo, page });
  await expect.poll(stream.wasHeld).toBe(true);
  const target = Math.floor(series.sliceCount / 2);
  await viewer.scrollToSlice(target);
  stream.release('as-is');
  await viewer.waitForRendered({ imageIndex: target });
  const state = await viewer.state();
  const { rows, columns } = series.phantom;
  const preview = state?.previews.find((record) => record.imageId === state.renderedImageId);
  expect(preview).toMatchObject({ columns: Math.ceil(columns / 4), rows: Math.ceil(rows / 4), fullColumns: columns, fullRows: rows });
  expect(preview?.removedAt).toBeGreaterThanOrEqual(preview?.shownAt ?? Infinity);
  await expect(page.getByTestId('image-preview')).toHaveCount(0);
  const points = samplePoints(32);
  expect(await viewer.readStoredValues(points)).toEqual(expectedStoredValues(series, target, points));
});

test('Orthanc stopped mid-load: the series shows the error with Retry at once, the slices that loaded stay readable, and Retry loads the rest once it is back', async ({ signIn, worklist, viewer, demo, page, stackUnderTest }) => {
  test.setTimeout(180_000);
  const fixtures = { signIn, worklist, viewer, demo, page };
  const { series, progress, normalNetwork, releaseStream } = await chestCtLoading(fixtures);

  await orthanc(stackUnderTest, 'stop');
  // The series' stream ends a third of the way through; what it did not bring is asked for on its own.
  releaseStream('cut');
  const stoppedAt = Date.now();
  try {
    await expect(viewer.banner).toHaveAttribute('data-error-code', 'PACS_UNREACHABLE', { timeout: 35_000 });
    await expect(viewer.banner).toContainText('PACS unreachable');
    await expect(viewer.banner.getByRole('button', { name: 'Retry' })).toBeVisible();
    test.info().annotations.push({ type: 'error shown', description: `${Date.now() - stoppedAt} ms after Orthanc stopped` });
    await loadedSlicesReadable(fixtures, series, progress);
  } finally {
    await orthanc(stackUnderTest, 'start');
  }
  await normalNetwork();
  await retryLoadsTheRest(fixtures, series, progress);
});

test('Orthanc paused mid-load: the series says it asks again, shows the error with Retry within the frame time limits, and Retry loads the rest once Orthanc resumes', async ({ signIn, worklist, viewer, demo, page, stackUnderTest }) => {
  test.setTimeout(300_000);
  const fixtures = { signIn, worklist, viewer, demo, page };
  const { series, progress, normalNetwork, releaseStream } = await chestCtLoading(fixtures);

  // Paused, Orthanc accepts connections and never answers: no refusal tells anyone it is gone.
  const paused = pauseOrthanc(stackUnderTest);
  // The series' stream asks the paused archive and gets nothing.
  releaseStream('as-is');
  const pausedAt = Date.now();
  try {
    // A frame gets 30 s, and so does a series' stream that sends nothing (its frames then count as
    // timed out); one that got nothing is asked for once more after 1 s, on its own, and the
    // series panel says so meanwhile.
    await expect(progress).toContainText('asking again for', { timeout: 45_000 });
    await expect(progress).toContainText('no answer in time');
    await expect(viewer.banner).toHaveAttribute('data-error-code', 'PACS_UNREACHABLE', { timeout: 45_000 });
    const shownAfterMs = Date.now() - pausedAt;
    test.info().annotations.push({ type: 'error shown', description: `${shownAfterMs} ms after Orthanc was paused` });
    // 30 s + 1 s + 30 s, with room for a request that went out just after the pause.
    expect(shownAfterMs).toBeLessThan(80_000);
    // No answer in time, or nginx's 502 once Orthanc's listen backlog is full.
    await expect(viewer.banner).toContainText(/did not send the image in time|PACS unreachable/);
    await expect(viewer.banner.getByRole('button', { name: 'Retry' })).toBeVisible();
    await loadedSlicesReadable(fixtures, series, progress);
  } finally {
    paused.resume();
  }
  await normalNetwork();
  await retryLoadsTheRest(fixtures, series, progress);
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
