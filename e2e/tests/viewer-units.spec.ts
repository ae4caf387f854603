import type { LoginPage } from '../pages/login-page.ts';
import type { ViewerPage } from '../pages/viewer-page.ts';
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

/** The run's patient signs in and opens the radiographs' study at the CR. */
async function openRadiographs({ loginPage, viewer }: { loginPage: LoginPage; viewer: ViewerPage }) {
  await loginPage.goto();
  await loginPage.signIn(radiographs.login.username, radiographs.login.password);
  await viewer.gotoStudy(radiographs.studyInstanceUid);
  return viewer.waitForRendered({ imageIndex: 0 });
}

/** From the CR to the capture without any spacing, once its first image is drawn. */
async function showCapture(viewer: ViewerPage, cr: { seriesInstanceUid: string | null }) {
  await viewer.thumbnails.nth(1).click();
  await expect.poll(async () => {
    const state = await viewer.state();
    return state?.seriesInstanceUid !== cr.seriesInstanceUid && state?.renderedImageIndex === 0;
  }).toBe(true);
}

test('a CR with only the detector spacing measures in mm at the detector and says so; an image without spacing measures in px with a warning', async ({ loginPage, viewer, page }) => {
  const cr = await openRadiographs({ loginPage, viewer });

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
  await showCapture(viewer, cr);
  await expect(spacing).toHaveText('No pixel spacing: lengths in px');
  await viewer.dragBetweenImagePoints({ x: 60, y: 100 }, { x: 160, y: 100 });
  await expect(viewer.measurements.filter({ hasText: /px/ })).toHaveCount(1);
});

/** The length in a measurement list entry, with its unit. */
function lengthOf(text: string | null): { value: number; unit: string } | null {
  const match = /([\d.]+) (mm|px)/.exec(text ?? '');
  return match ? { value: Number(match[1]), unit: match[2] ?? '' } : null;
}

test('a line of known length calibrates the capture without spacing: measurements drawn before and after are in mm calibrated by user, until the calibration is removed', async ({ loginPage, viewer, page }) => {
  await showCapture(viewer, await openRadiographs({ loginPage, viewer }));
  const spacing = page.getByTestId('overlay-spacing');
  await expect(spacing).toHaveText('No pixel spacing: lengths in px');

  // Before the calibration: 80 px.
  await viewer.tool('Length').click();
  await viewer.dragBetweenImagePoints({ x: 40, y: 60 }, { x: 120, y: 60 });
  const before = viewer.measurements.first();
  await expect.poll(async () => lengthOf(await before.textContent())?.unit).toBe('px');

  // A calibration line of 100 px, said to be 25 mm: a pixel of 0.25 mm.
  await viewer.tool('Calibrate').click();
  await viewer.dragBetweenImagePoints({ x: 40, y: 160 }, { x: 140, y: 160 });
  const dialog = page.getByTestId('calibration-dialog');
  await expect(dialog).toContainText(/The line measures (99\.\d|100\.\d) px/);
  const known = dialog.getByLabel('True length (mm)');
  await expect(known).toBeFocused();
  const error = dialog.getByTestId('calibration-error');
  for (const [entry, message] of [
    ['0', 'The length must be greater than 0 mm.'],
    ['-25', 'The length must be greater than 0 mm.'],
    ['twenty', '"twenty" is not a length: enter a positive number of mm, such as 25 or 12.5.'],
    ['5000', 'The length must be between 0.1 mm and 1000 mm.'],
  ] as const) {
    await known.fill(entry);
    await dialog.getByRole('button', { name: 'Set calibration' }).click();
    await expect(error).toHaveText(message);
  }
  // Still uncalibrated after refused entries.
  await expect(spacing).toHaveText('No pixel spacing: lengths in px');
  await known.fill('25');
  await known.press('Enter');
  await expect(dialog).toHaveCount(0);

  await expect(spacing).toHaveText(/^Pixel 0\.2[4-6] mm calibrated by user$/);
  await expect(page.getByTestId('calibration')).toContainText('Calibrated by user');
  await expect(page.getByLabel(/^Measurements of /)).toContainText('mm calibrated by user');
  // The calibration line is not a measurement; the one drawn before is now in mm (80 px of 0.25 mm).
  await expect(viewer.measurements).toHaveCount(1);
  const within2Percent = (expected: number) => async (entry: typeof before) => {
    const length = lengthOf(await entry.textContent());
    return length?.unit === 'mm' && Math.abs(length.value - expected) <= expected * 0.02 ? 'within 2 %' : (length ? `${length.value} ${length.unit}` : null);
  };
  await expect.poll(() => within2Percent(20)(before)).toBe('within 2 %');

  // A second line after it, 60 px: 15 mm. The Length tool is back on after calibrating.
  await expect(viewer.tool('Length')).toHaveAttribute('aria-pressed', 'true');
  await viewer.dragBetweenImagePoints({ x: 40, y: 220 }, { x: 100, y: 220 });
  await expect(viewer.measurements).toHaveCount(2);
  await expect.poll(() => within2Percent(15)(viewer.measurements.nth(1))).toBe('within 2 %');

  // Removed: px again, for both.
  await page.getByRole('button', { name: 'Remove calibration' }).click();
  await expect(spacing).toHaveText('No pixel spacing: lengths in px');
  await expect(page.getByTestId('calibration')).toHaveCount(0);
  await expect(viewer.measurements.filter({ hasText: / px/ })).toHaveCount(2);
});
