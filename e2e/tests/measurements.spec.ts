import type { Page } from '@playwright/test';
import type { ViewerPage } from '../pages/viewer-page.ts';
import { expect, test } from '../support/fixtures.ts';

/** Dr. Chen's two-series chest CT (soft tissue and lung kernels, 80 slices each). */
const CHEST_CT = 'RS24031201';

/** The session's measurements of the shown series, from the hook. */
async function hookMeasurements(viewer: ViewerPage) {
  return (await viewer.state())?.measurements ?? [];
}

/** The text Cornerstone drew beside the annotations on the image (its SVG layer). */
function imageTexts(page: Page): Promise<string[]> {
  return page.locator('[data-testid="viewport"] svg text').allTextContents();
}

async function drawLength(viewer: ViewerPage, from: { x: number; y: number }, to: { x: number; y: number }): Promise<string> {
  const before = new Set((await hookMeasurements(viewer)).map((m) => m.id));
  await viewer.tool('Length').click();
  await viewer.dragBetweenImagePoints(from, to);
  await expect.poll(async () => (await hookMeasurements(viewer)).filter((m) => !before.has(m.id)).length).toBe(1);
  const added = (await hookMeasurements(viewer)).find((m) => !before.has(m.id));
  if (!added) throw new Error('no new measurement');
  return added.id;
}

test.describe('measurements', () => {
  // Each test draws, switches series and reopens the study several times on a shared 2-core machine.
  test.slow();

  test('the list shows each measurement with the value drawn on the image, per series and slice, across series switches', async ({
    signIn,
    worklist,
    viewer,
    demo,
    page,
  }) => {
    await signIn('rad.chen');
    const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
    const [first, second] = study?.series ?? [];
    if (!study || !first || !second) throw new Error(`${CHEST_CT} with two series is not in the demo data`);
    await worklist.open(study.studyInstanceUid);
    await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: first.seriesInstanceUid });

    // 333 pixels along a row: 333 × 0.703125 = 234.14 mm, a value above 100 (where Cornerstone's
    // own rounding would draw no decimal).
    const a = await drawLength(viewer, { x: 90, y: 250 }, { x: 423, y: 250 });
    const [record] = await hookMeasurements(viewer);
    expect(record?.values.kind).toBe('length');
    const mm = record?.values.kind === 'length' ? record.values.length : NaN;
    expect(mm).toBeGreaterThan(333 * first.phantom.pixelSpacingMm * 0.99);
    expect(mm).toBeLessThan(333 * first.phantom.pixelSpacingMm * 1.01);
    const shown = `${mm.toFixed(1)} mm`;
    const entryA = page.locator(`[data-testid="measurement"][data-measurement-id="${a}"]`);
    await expect(entryA.locator('.measurement-value')).toHaveText(shown);
    await expect(entryA).toContainText('slice 1');
    expect(await imageTexts(page)).toContain(shown);
    // The record names where it was drawn: this study, series and instance, frame 1.
    expect(record).toMatchObject({ studyInstanceUid: study.studyInstanceUid, seriesInstanceUid: first.seriesInstanceUid, frameNumber: 1, imageIndex: 0 });

    // A second one on slice 6.
    await viewer.scrollToSlice(5);
    await viewer.waitForRendered({ imageIndex: 5 });
    const b = await drawLength(viewer, { x: 200, y: 200 }, { x: 300, y: 300 });

    // Series 2: series 1's measurements stay listed under series 1; one drawn here is listed under series 2.
    await viewer.thumbnails.nth(1).click();
    await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: second.seriesInstanceUid });
    const firstGroup = page.locator(`.measurement-series[data-series-uid="${first.seriesInstanceUid}"] [data-testid="measurement"]`);
    const secondGroup = page.locator(`.measurement-series[data-series-uid="${second.seriesInstanceUid}"] [data-testid="measurement"]`);
    await expect(firstGroup).toHaveCount(2);
    await expect(firstGroup.first().locator('.measurement-value')).toHaveText(shown);
    expect(await imageTexts(page)).toEqual([]);
    const c = await drawLength(viewer, { x: 100, y: 100 }, { x: 150, y: 100 });
    await expect(secondGroup).toHaveCount(1);
    await expect(firstGroup).toHaveCount(2);
    const cText = (await page.locator(`[data-measurement-id="${c}"] .measurement-value`).textContent()) ?? '';
    expect(await imageTexts(page)).toEqual([cText]);

    // Back on series 1 by choosing its entry: the viewer goes to that series and slice 6.
    await page.locator(`[data-measurement-id="${b}"] .measurement-select`).click();
    const onB = await viewer.waitForRendered({ imageIndex: 5, seriesInstanceUid: first.seriesInstanceUid });
    expect(onB.selectedMeasurementId).toBe(b);
    await expect(page.locator(`[data-measurement-id="${b}"]`)).toHaveAttribute('data-selected', 'true');
    expect(await imageTexts(page)).toEqual([(await page.locator(`[data-measurement-id="${b}"] .measurement-value`).textContent()) ?? '']);
    await expect(firstGroup).toHaveCount(2);
    await expect(secondGroup).toHaveCount(1);
  });

  test('deleted by key and from the list, measurements stay deleted across series switches and reopening the study', async ({
    signIn,
    worklist,
    viewer,
    demo,
    page,
  }) => {
    await signIn('rad.chen');
    const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
    const [first, second] = study?.series ?? [];
    if (!study || !first || !second) throw new Error(`${CHEST_CT} with two series is not in the demo data`);
    await worklist.open(study.studyInstanceUid);
    await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: first.seriesInstanceUid });

    const byMouse = await drawLength(viewer, { x: 150, y: 250 }, { x: 350, y: 250 });
    const byBackspace = await drawLength(viewer, { x: 150, y: 150 }, { x: 350, y: 150 });
    const byList = await drawLength(viewer, { x: 150, y: 350 }, { x: 350, y: 350 });
    const kept = await drawLength(viewer, { x: 100, y: 420 }, { x: 200, y: 420 });
    const entry = (id: string) => page.locator(`[data-testid="measurement"][data-measurement-id="${id}"]`);
    await expect(viewer.measurements).toHaveCount(4);

    // Selected with the mouse (a click on the line, with the window/level tool on the left
    // button), deleted with Delete.
    await viewer.tool('Window/level').click();
    const onLine = await viewer.pagePointOf(250, 250);
    await page.mouse.click(onLine.x, onLine.y);
    await expect.poll(async () => (await viewer.state())?.selectedMeasurementId).toBe(byMouse);
    await expect(entry(byMouse)).toHaveAttribute('data-selected', 'true');
    await page.keyboard.press('Delete');
    await expect(entry(byMouse)).toHaveCount(0);
    await expect.poll(async () => (await hookMeasurements(viewer)).map((m) => m.id)).toEqual([byBackspace, byList, kept]);
    await expect.poll(() => imageTexts(page).then((t) => t.length)).toBe(3);

    // Selected with the keyboard (M, the next measurement of the series), deleted with Backspace.
    await expect.poll(async () => (await viewer.state())?.selectedMeasurementId ?? null).toBeNull();
    await page.keyboard.press('m');
    await expect.poll(async () => (await viewer.state())?.selectedMeasurementId).toBe(byBackspace);
    // Backspace typed into a text field is the field's: the cine rate field keeps the measurement.
    const frameRate = page.getByRole('spinbutton', { name: /Cine frame rate/ });
    await frameRate.focus();
    await page.keyboard.press('Backspace');
    await expect(entry(byBackspace)).toHaveCount(1);
    await frameRate.blur();
    await expect(entry(byBackspace)).toHaveAttribute('data-selected', 'true');
    await page.keyboard.press('Backspace');
    await expect(entry(byBackspace)).toHaveCount(0);

    // Deleted from the list.
    await entry(byList).getByRole('button', { name: /^Delete Length/ }).click();
    await expect(entry(byList)).toHaveCount(0);
    await expect.poll(async () => (await hookMeasurements(viewer)).map((m) => m.id)).toEqual([kept]);
    await expect.poll(() => imageTexts(page)).toEqual([(await entry(kept).locator('.measurement-value').textContent()) ?? '']);

    // Series 2 and back: still deleted.
    await viewer.thumbnails.nth(1).click();
    await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: second.seriesInstanceUid });
    await expect(viewer.measurements).toHaveCount(1);
    await viewer.thumbnails.nth(0).click();
    await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: first.seriesInstanceUid });
    expect((await hookMeasurements(viewer)).map((m) => m.id)).toEqual([kept]);
    await expect.poll(() => imageTexts(page).then((t) => t.length)).toBe(1);

    // Closed and reopened: the list and the image show the one left.
    await page.getByRole('button', { name: '← Worklist' }).click();
    await expect(worklist.heading).toBeVisible();
    await worklist.open(study.studyInstanceUid);
    await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: first.seriesInstanceUid });
    await expect(viewer.measurements).toHaveCount(1);
    await expect(entry(kept)).toHaveCount(1);
    expect((await hookMeasurements(viewer)).map((m) => m.id)).toEqual([kept]);
    await expect.poll(() => imageTexts(page).then((t) => t.length)).toBe(1);

    // The last one deleted with "Delete all", then reopened once more: nothing on image or list.
    await page.getByRole('button', { name: 'Delete all' }).click();
    await expect(viewer.measurements).toHaveCount(0);
    await page.getByRole('button', { name: '← Worklist' }).click();
    await worklist.open(study.studyInstanceUid);
    await viewer.waitForRendered({ imageIndex: 0, seriesInstanceUid: first.seriesInstanceUid });
    expect(await hookMeasurements(viewer)).toEqual([]);
    await expect(viewer.measurements).toHaveCount(0);
    expect(await imageTexts(page)).toEqual([]);
  });

  test('a right-click on a measurement offers to delete it; elsewhere on the image it offers nothing', async ({ signIn, worklist, viewer, demo, page }) => {
    await signIn('rad.chen');
    const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
    if (!study) throw new Error(`${CHEST_CT} is not in the demo data`);
    await worklist.open(study.studyInstanceUid);
    await viewer.waitForRendered({ imageIndex: 0 });
    const kept = await drawLength(viewer, { x: 150, y: 150 }, { x: 350, y: 150 });
    const deleted = await drawLength(viewer, { x: 150, y: 300 }, { x: 350, y: 300 });
    const menu = page.getByRole('menu', { name: 'Measurement' });

    // Off any measurement: no menu.
    const empty = await viewer.pagePointOf(250, 220);
    await page.mouse.click(empty.x, empty.y, { button: 'right' });
    await expect(menu).toHaveCount(0);

    // On one: it is selected and the menu offers to delete it; Escape closes the menu and keeps it.
    const onLine = await viewer.pagePointOf(250, 300);
    await page.mouse.click(onLine.x, onLine.y, { button: 'right' });
    await expect(menu.getByRole('menuitem', { name: 'Delete measurement' })).toBeFocused();
    expect((await viewer.state())?.selectedMeasurementId).toBe(deleted);
    await page.keyboard.press('Escape');
    await expect(menu).toHaveCount(0);
    await expect(viewer.measurements).toHaveCount(2);

    await page.mouse.click(onLine.x, onLine.y, { button: 'right' });
    await menu.getByRole('menuitem', { name: 'Delete measurement' }).click();
    await expect(menu).toHaveCount(0);
    await expect.poll(async () => (await hookMeasurements(viewer)).map((m) => m.id)).toEqual([kept]);
    await expect(viewer.measurements).toHaveCount(1);
    await expect.poll(() => imageTexts(page).then((t) => t.length)).toBe(1);
  });
});
