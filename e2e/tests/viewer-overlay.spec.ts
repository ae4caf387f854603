import { phantomSliceGeometry } from '@reading-station/demo-data';
import { expectedStoredValues, samplePoints } from '../support/demo-data.ts';
import { expect, test } from '../support/fixtures.ts';
import type { PageGlobals } from '../support/viewer-hook.ts';

/** Dr. Chen's two-series chest CT; its first series has 80 slices. */
const CHEST_CT = 'RS24031201';
/** Every request answers this late: the slice asked for stays loading long enough to be seen. */
const LATENCY_MS = 1_500;

/** What the page showed at one moment: the overlay's and slider's words and the image drawn. */
interface Sample {
  at: number;
  sliceText: string | null;
  loadingText: string | null;
  sliderText: string | null;
  renderedImageId: string | null;
}

type SamplerGlobals = PageGlobals & { __overlaySamples?: Sample[]; __stopOverlaySampling?: () => void };

test('the overlay names the slice that is drawn: a slow slice asked for shows as loading until it is drawn', async ({ signIn, worklist, viewer, demo, page }) => {
  await signIn('rad.chen');
  const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
  const series = study?.series[0];
  if (!study || !series) throw new Error(`${CHEST_CT} is not in the demo data`);
  const sopOfSlice = new Map(demo.instances.filter((i) => i.seriesInstanceUid === series.seriesInstanceUid).map((i) => [i.sliceIndex, i.sopInstanceUid]));
  const last = series.sliceCount - 1;

  // The last slice must still be on its way when it is asked for: the series retrieval, which
  // brings the whole series within a second of the first image, is refused, so every slice comes
  // through its own frame request (the viewer's fallback), slowed by the throttle below.
  await page.route(
    (url) => url.pathname.endsWith(`/series/${series.seriesInstanceUid}`),
    (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'The image archive is busy.', code: 'PACS_UNREACHABLE' }) }),
  );
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: series.seriesInstanceUid });
  // A slow network from here on: Chromium's own throttling (DevTools protocol), every request late.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: LATENCY_MS, downloadThroughput: -1, uploadThroughput: -1 });

  // Sampled in the page at every animation frame and every change of the overlay or slider, each
  // sample read in one go (no await between the words and the image).
  await page.evaluate(() => {
    const g = globalThis as unknown as SamplerGlobals & {
      document: { querySelector(q: string): { textContent: string | null } | null };
      requestAnimationFrame(callback: () => void): number;
      MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void; disconnect(): void };
    };
    const samples: Sample[] = [];
    g.__overlaySamples = samples;
    const text = (testId: string) => g.document.querySelector(`[data-testid="${testId}"]`)?.textContent ?? null;
    const sample = () => {
      const state = g.__readingStationViewer?.state();
      samples.push({
        at: performance.now(),
        sliceText: text('overlay-slice-number'),
        loadingText: text('overlay-loading'),
        sliderText: text('slice-label'),
        renderedImageId: state?.renderedImageId ?? null,
      });
    };
    let running = true;
    const frame = () => {
      if (!running) return;
      sample();
      g.requestAnimationFrame(frame);
    };
    const observer = new g.MutationObserver(sample);
    observer.observe(g.document.querySelector('[data-testid="viewer"]'), { subtree: true, childList: true, characterData: true });
    g.__stopOverlaySampling = () => {
      running = false;
      observer.disconnect();
    };
    frame();
  });

  await page.keyboard.press('End');
  await viewer.waitForRendered({ imageIndex: last, timeout: 60_000 });
  await expect(viewer.page.getByTestId('overlay-slice-number')).toHaveText(`Slice ${series.sliceCount}/${series.sliceCount}`);
  await expect(viewer.page.getByTestId('overlay-loading')).toHaveCount(0);
  const samples = await page.evaluate(() => {
    const g = globalThis as unknown as SamplerGlobals;
    g.__stopOverlaySampling?.();
    return g.__overlaySamples ?? [];
  });

  const lies: string[] = [];
  let loadingSamples = 0;
  for (const s of samples) {
    const shown = /^Slice (\d+)\/(\d+)$/.exec(s.sliceText ?? '');
    if (!shown) {
      lies.push(`no slice number: ${JSON.stringify(s)}`);
      continue;
    }
    const sliceIndex = Number(shown[1]) - 1;
    const drawnSop = sopOfSlice.get(sliceIndex);
    const drawnIsNamed = drawnSop !== undefined && s.renderedImageId?.includes(drawnSop) === true;
    // The overlay may only name another image than the one drawn while it says it is loading
    // (in the moment between Cornerstone drawing the new slice and the page updating its words).
    if (!drawnIsNamed && s.loadingText === null) lies.push(`names slice ${sliceIndex + 1} without the loading cue while ${s.renderedImageId} is drawn`);
    if (s.loadingText !== null) {
      loadingSamples += 1;
      if (s.loadingText !== `Loading slice ${series.sliceCount}/${series.sliceCount}…`) lies.push(`loading cue ${s.loadingText}`);
      // The slider's thumb is on the slice asked for; its label says it is still loading.
      if (!s.sliderText?.includes('loading')) lies.push(`slider says ${s.sliderText} while the overlay says loading`);
    } else if (s.sliderText !== null && !s.sliderText.startsWith(`${sliceIndex + 1} /`)) {
      lies.push(`slider says ${s.sliderText} while slice ${sliceIndex + 1} is drawn and nothing loads`);
    }
  }
  test.info().annotations.push({ type: 'samples', description: `${samples.length} samples, ${loadingSamples} with the loading cue` });
  expect(lies).toEqual([]);
  // The slow slice was seen loading (the throttle makes that last at least its latency), with
  // the first slice still named as drawn.
  expect(loadingSamples).toBeGreaterThan(5);
  expect(samples.some((s) => s.loadingText !== null && s.sliceText === `Slice 1/${series.sliceCount}` && s.sliderText?.startsWith(`${series.sliceCount} /`))).toBe(true);
  // And what is finally drawn is the last slice, pixel for pixel.
  const points = samplePoints(32);
  expect(await viewer.readStoredValues(points)).toEqual(expectedStoredValues(series, last, points));
});

/** The patient direction a unit vector of LPS space points to, by its largest component. */
function patientDirection(vector: readonly number[]): string {
  const axis = [0, 1, 2].reduce((best, i) => (Math.abs(vector[i] ?? 0) > Math.abs(vector[best] ?? 0) ? i : best), 0);
  const positive = (vector[axis] ?? 0) > 0;
  return [positive ? 'L' : 'R', positive ? 'P' : 'A', positive ? 'H' : 'F'][axis] ?? '?';
}

test('the corners name patient, accession, series, instance, location and window; orientation markers follow the generated geometry and the flip', async ({
  signIn,
  worklist,
  viewer,
  demo,
  page,
}) => {
  await signIn('rad.chen');
  const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
  const series = study?.series[0];
  const patient = demo.cohort.patients.find((p) => p.patientId === study?.patientId);
  if (!study || !series || !patient) throw new Error(`${CHEST_CT} is not in the demo data`);
  await worklist.open(study.studyInstanceUid);
  await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: series.seriesInstanceUid });

  // The generator's geometry: rows run along ImageOrientationPatient's first three cosines (the
  // image's right edge), columns along the last three (its bottom edge).
  const geometry = phantomSliceGeometry(series.phantom, 0);
  const [rx = 0, ry = 0, rz = 0, cx = 0, cy = 0, cz = 0] = geometry.imageOrientationPatient;
  const right = patientDirection([rx, ry, rz]);
  const bottom = patientDirection([cx, cy, cz]);
  const left = patientDirection([-rx, -ry, -rz]);
  const top = patientDirection([-cx, -cy, -cz]);
  // An axial CT as acquired: the patient's right on the viewer's left, anterior at the top.
  expect([left, top]).toEqual(['R', 'A']);
  const marker = (edge: string) => page.getByTestId(`orientation-${edge}`);
  await expect(marker('left')).toHaveText(left);
  await expect(marker('right')).toHaveText(right);
  await expect(marker('top')).toHaveText(top);
  await expect(marker('bottom')).toHaveText(bottom);

  // Mirrored left–right, the markers swap sides; Reset puts them back.
  await page.keyboard.press('f');
  await expect(marker('left')).toHaveText(right);
  await expect(marker('right')).toHaveText(left);
  await expect(marker('top')).toHaveText(top);
  await page.keyboard.press('r');
  await expect(marker('left')).toHaveText(left);

  const birth = `${patient.birthDate.slice(0, 4)}-${patient.birthDate.slice(4, 6)}-${patient.birthDate.slice(6, 8)}`;
  await expect(page.getByTestId('overlay-birth-sex-age')).toContainText(`DOB ${birth} · ${patient.sex} · `);
  await expect(page.getByTestId('overlay-birth-sex-age')).toHaveText(/ · \d{3}Y$/);
  await expect(page.getByTestId('overlay-accession')).toHaveText(`Acc ${CHEST_CT}`);
  await expect(page.getByTestId('overlay-series')).toHaveText(`Se ${series.seriesNumber}: ${series.seriesDescription}`);
  await expect(page.getByTestId('overlay-instance')).toHaveText('Im 1');
  await expect(page.getByTestId('overlay-location')).toHaveText(`Loc ${Number(geometry.sliceLocation.toFixed(2))} mm`);
  await expect(page.getByTestId('overlay-thickness')).toHaveText(/^Thk [\d.]+ mm$/);
  // Another slice: its own instance number and location.
  await viewer.scrollToSlice(9);
  await viewer.waitForRendered({ imageIndex: 9 });
  await expect(page.getByTestId('overlay-instance')).toHaveText('Im 10');
  await expect(page.getByTestId('overlay-location')).toHaveText(`Loc ${Number(phantomSliceGeometry(series.phantom, 9).sliceLocation.toFixed(2))} mm`);
  // Legible on any image: every overlay letter is outlined in black.
  await expect(page.locator('.viewport-overlay')).toHaveCSS('text-shadow', /^rgb\(0, 0, 0\) -1px -1px 0px/);
});
