import { expect, test } from '../support/fixtures.ts';
import { expectedStoredValues, samplePoints } from '../support/demo-data.ts';
import type { PageGlobals } from '../support/viewer-hook.ts';

// Runs in the `chromium-no-webgl` project: Chromium started with --disable-3d-apis.
test('without WebGL the same image renders through CPU rendering', async ({ signIn, worklist, viewer, demo, page }) => {
  await signIn('rad.chen');
  const study = demo.cohort.studies.find((s) => s.accessionNumber === 'RS24031201');
  const series = study?.series[0];
  if (!study || !series) throw new Error('RS24031201 is not in the demo data');
  expect(await page.evaluate('document.createElement("canvas").getContext("webgl2") === null && document.createElement("canvas").getContext("webgl") === null')).toBe(true);

  await worklist.open(study.studyInstanceUid);
  const state = await viewer.waitForRendered({ imageIndex: 0 });
  expect(state.renderingMode).toBe('cpu');
  // The series' own window (W 400 / L 40), which the saturation check below relies on.
  expect(Math.abs((state.voi?.windowWidth ?? 0) - 400)).toBeLessThanOrEqual(1);
  expect(Math.abs((state.voi?.windowCenter ?? 0) - 40)).toBeLessThanOrEqual(1);
  const points = samplePoints();
  expect(await viewer.readStoredValues(points)).toEqual(expectedStoredValues(series, 0, points));
  await expect(page.getByText('CPU rendering')).toBeVisible();

  // What the CPU drew: at the soft-tissue window (W 400 / L 40) every pixel below -160 HU is
  // black and every pixel above 240 HU is white. Check the canvas where a whole 3×3 neighbourhood
  // is saturated, so the screen's resampling cannot blur the answer.
  const stored = expectedStoredValues(series, 0, Array.from({ length: 512 * 512 }, (_, i) => ({ x: i % 512, y: Math.floor(i / 512) })));
  const hu = (x: number, y: number) => (stored[y * 512 + x] as number) - 1024;
  const saturated: Array<{ x: number; y: number; grey: 0 | 255 }> = [];
  const dark: Array<{ x: number; y: number; grey: 0 }> = [];
  for (let y = 2; y < 510; y += 3) {
    for (let x = 2; x < 510; x += 3) {
      let low = true;
      let high = true;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const v = hu(x + dx, y + dy);
          low &&= v < -160;
          high &&= v > 240;
        }
      }
      if (high) saturated.push({ x, y, grey: 255 });
      else if (low) dark.push({ x, y, grey: 0 });
    }
  }
  // All the bright (bone) points and as many dark ones, spread over the image.
  saturated.push(...dark.filter((_, i) => i % Math.max(1, Math.floor(dark.length / saturated.length)) === 0));
  expect(saturated.some((p) => p.grey === 255)).toBe(true);
  expect(saturated.some((p) => p.grey === 0)).toBe(true);
  const canvasPoints = await page.evaluate(
    (points) => points.map((p) => (globalThis as PageGlobals).__readingStationViewer?.canvasPointOf(p.x, p.y) ?? { x: -1, y: -1 }),
    saturated.map(({ x, y }) => ({ x, y })),
  );
  const greys = (await page.evaluate(
    `(() => {
      const canvas = document.querySelector('[data-testid="viewport"] canvas');
      const context = canvas.getContext('2d');
      return ${JSON.stringify(canvasPoints)}.map((p) => context.getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data[0]);
    })()`,
  )) as number[];
  const wrong = greys.filter((grey, i) => Math.abs(grey - (saturated[i]?.grey ?? -1)) > 2);
  expect(wrong).toEqual([]);
});
