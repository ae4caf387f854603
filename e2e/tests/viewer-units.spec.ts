import { importRadiographs, type ImportedRadiographs } from '../support/radiographs/radiographs.ts';
import { removeAddedStudies } from '../support/added-studies.ts';
import { expect, test } from '../support/fixtures.ts';

/** ImagerPixelSpacing of the generated CR (make_radiographs.py). */
const DETECTOR_SPACING_MM = 0.2;

let radiographs: ImportedRadiographs;

test.beforeAll(async ({ stackUnderTest }) => {
  test.setTimeout(120_000);
  radiographs = await importRadiographs(stackUnderTest);
});

test.afterAll(async ({ stackUnderTest, request }) => {
  test.setTimeout(120_000);
  // Leave the stack as the other specs expect it: only the demo cohort.
  if (radiographs) await removeAddedStudies(request, stackUnderTest, [radiographs.studyInstanceUid]);
});

test('a CR with only the detector spacing measures in mm at the detector and says so; an image without spacing measures in px with a warning', async ({
  loginPage,
  viewer,
  page,
}) => {
  await loginPage.goto();
  await loginPage.signIn(radiographs.login.username, radiographs.login.password);
  await viewer.gotoStudy(radiographs.studyInstanceUid);
  const cr = await viewer.waitForRendered({ imageIndex: 0 });

  const spacing = page.getByTestId('overlay-spacing');
  await expect(spacing).toHaveText(`Pixel ${DETECTOR_SPACING_MM} mm at the detector: lengths not corrected for magnification`);
  await viewer.tool('Length').click();
  // 100 pixels along a row: 100 × ImagerPixelSpacing mm.
  await viewer.dragBetweenImagePoints({ x: 60, y: 128 }, { x: 160, y: 128 });
  await expect(viewer.measurements).toHaveCount(1);
  // The list entry appears at the first point and follows the drag: read it once it has settled.
  const expected = 100 * DETECTOR_SPACING_MM;
  await expect
    .poll(async () => {
      const text = (await viewer.measurements.first().textContent()) ?? '';
      const mm = Number(/([\d.]+) mm/.exec(text)?.[1]);
      return Math.abs(mm - expected) <= expected * 0.02 ? 'within 2 %' : text;
    })
    .toBe('within 2 %');

  // The capture without any spacing: lengths in px, and the overlay warns.
  await viewer.thumbnails.nth(1).click();
  await expect.poll(async () => {
    const state = await viewer.state();
    return state?.seriesInstanceUid !== cr.seriesInstanceUid && state?.renderedImageIndex === 0;
  }).toBe(true);
  await expect(spacing).toHaveText('No pixel spacing: lengths in px');
  await viewer.dragBetweenImagePoints({ x: 60, y: 100 }, { x: 160, y: 100 });
  await expect(viewer.measurements.filter({ hasText: /px/ })).toHaveCount(1);
});
