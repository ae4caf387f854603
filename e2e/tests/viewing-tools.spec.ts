import type { Page } from '@playwright/test';
import { phantomSlice, PHANTOM_RESCALE_INTERCEPT, PHANTOM_RESCALE_SLOPE } from '@reading-station/demo-data';
import type { ViewerPage } from '../pages/viewer-page.ts';
import { expect, test } from '../support/fixtures.ts';

/** Dr. Chen's chest CT: the phantom's first series, slice 1, is what these tests look at. */
const CHEST_CT = 'RS24031201';

/** The grey level (red channel, 0–255) the viewport's canvas shows at a page point. */
function greyAt(page: Page, point: { x: number; y: number }): Promise<number> {
  return page.evaluate(({ x, y }) => {
    // The page's DOM, typed as far as used here (this code is type-checked without the DOM's types).
    interface Canvas {
      width: number;
      clientWidth: number;
      getBoundingClientRect(): { left: number; top: number };
      getContext(type: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
    }
    const doc = (globalThis as unknown as { document: { querySelector(selector: string): Canvas | null } }).document;
    const canvas = doc.querySelector('[data-testid="viewport"] canvas');
    const context = canvas?.getContext('2d');
    if (!canvas || !context) throw new Error('no 2D canvas on the viewport');
    const rect = canvas.getBoundingClientRect();
    const scale = canvas.width / canvas.clientWidth;
    return context.getImageData(Math.round((x - rect.left) * scale), Math.round((y - rect.top) * scale), 1, 1).data[0] ?? -1;
  }, point);
}

async function openChestCt(signIn: (u: string) => Promise<unknown>, worklist: { open(uid: string): Promise<void> }, viewer: ViewerPage, studyUid: string) {
  await signIn('rad.chen');
  await worklist.open(studyUid);
  return viewer.waitForRendered({ imageIndex: 0 });
}

test.describe('viewing tools on a CT', () => {
  // Many draws and reads of the canvas on a shared 2-core machine.
  test.slow();

  test('invert, rotate and flip change what is drawn where, by key and button; Reset shows the image upright again', async ({
    signIn,
    worklist,
    viewer,
    demo,
    page,
  }) => {
    const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
    const series = study?.series[0];
    if (!study || !series) throw new Error(`${CHEST_CT} is not in the demo data`);
    const first = await openChestCt(signIn, worklist, viewer, study.studyInstanceUid);
    expect(first.orientation).toEqual({ invert: false, rotation: 0, flipHorizontal: false, flipVertical: false });
    const hu = (x: number, y: number) => (phantomSlice(series.phantom, 0)[y * series.phantom.columns + x] ?? NaN) * PHANTOM_RESCALE_SLOPE + PHANTOM_RESCALE_INTERCEPT;

    // Air above the chest (−1016 HU in the phantom), far below the window: black, and white inverted.
    expect(hu(256, 40)).toBeLessThan(-900);
    const air = await viewer.pagePointOf(256, 40);
    expect(await greyAt(page, air)).toBeLessThan(30);
    await page.keyboard.press('i');
    await expect.poll(async () => (await viewer.state())?.orientation.invert).toBe(true);
    await expect.poll(() => greyAt(page, air)).toBeGreaterThan(225);
    await expect(viewer.tool('Invert')).toHaveAttribute('aria-pressed', 'true');
    await viewer.tool('Invert').click();
    await expect.poll(() => greyAt(page, air)).toBeLessThan(30);

    // Rotated 90° clockwise: the image's left edge (its column 100) is drawn above the centre, and
    // the air that was above the centre is now on its right.
    const centre = await viewer.pagePointOf(256, 256);
    await page.keyboard.press(']');
    await expect.poll(async () => (await viewer.state())?.orientation.rotation).toBe(90);
    const left = await viewer.pagePointOf(100, 256);
    expect(left.y).toBeLessThan(centre.y - 100);
    expect(Math.abs(left.x - centre.x)).toBeLessThan(3);
    const airRotated = await viewer.pagePointOf(256, 40);
    expect(airRotated.x).toBeGreaterThan(centre.x + 100);
    expect(await greyAt(page, airRotated)).toBeLessThan(30);
    // Four quarter turns (one of them the button) make a whole one.
    await viewer.page.getByRole('button', { name: 'Rotate 90° clockwise' }).click();
    await page.keyboard.press('[');
    await page.keyboard.press('[');
    await page.keyboard.press('[');
    await expect.poll(async () => (await viewer.state())?.orientation.rotation).toBe(270);
    await page.keyboard.press(']');
    await expect.poll(async () => (await viewer.state())?.orientation.rotation).toBe(0);
    expect(Math.round((await viewer.pagePointOf(100, 256)).x)).toBeLessThan(centre.x - 100);

    // Flipped left–right: column 100 is drawn right of the centre; top–bottom: row 40 below it.
    await page.keyboard.press('f');
    await expect.poll(async () => (await viewer.state())?.orientation.flipHorizontal).toBe(true);
    expect((await viewer.pagePointOf(100, 256)).x).toBeGreaterThan(centre.x + 100);
    await page.getByRole('button', { name: 'Flip top–bottom' }).click();
    await expect.poll(async () => (await viewer.state())?.orientation.flipVertical).toBe(true);
    const airFlipped = await viewer.pagePointOf(256, 40);
    expect(airFlipped.y).toBeGreaterThan(centre.y + 100);
    expect(await greyAt(page, airFlipped)).toBeLessThan(30);
    await page.keyboard.press('i');
    await expect.poll(() => greyAt(page, airFlipped)).toBeGreaterThan(225);

    // Reset: upright, unflipped, not inverted.
    await page.keyboard.press('r');
    await expect.poll(async () => (await viewer.state())?.orientation).toEqual({ invert: false, rotation: 0, flipHorizontal: false, flipVertical: false });
    const back = await viewer.pagePointOf(256, 40);
    expect(Math.round(back.x)).toBe(Math.round(air.x));
    expect(Math.round(back.y)).toBe(Math.round(air.y));
    await expect.poll(() => greyAt(page, back)).toBeLessThan(30);

    // The help sheet lists the keys.
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    for (const [key, what] of [
      ['I', 'Invert the grey scale'],
      [']', 'Rotate 90° clockwise'],
      ['[', 'Rotate 90° anticlockwise'],
      ['F', 'Flip left–right'],
      ['V', 'Flip top–bottom'],
      ['X', 'Probe'],
      ['Delete / Backspace', 'Delete the selected measurement'],
    ] as const) {
      await expect(help.getByRole('row').filter({ has: page.getByRole('rowheader', { name: key, exact: true }) })).toContainText(what);
    }
  });

  test("the probe reads the phantom's Hounsfield units where it is placed, on the image and in the list", async ({ signIn, worklist, viewer, demo, page }) => {
    const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
    const series = study?.series[0];
    if (!study || !series) throw new Error(`${CHEST_CT} is not in the demo data`);
    await openChestCt(signIn, worklist, viewer, study.studyInstanceUid);
    const pixels = phantomSlice(series.phantom, 0);
    const hu = (x: number, y: number) => (pixels[y * series.phantom.columns + x] ?? NaN) * PHANTOM_RESCALE_SLOPE + PHANTOM_RESCALE_INTERCEPT;

    await page.keyboard.press('x');
    await expect(viewer.tool('Probe')).toHaveAttribute('aria-pressed', 'true');
    // Air, lung, soft tissue and bone of the phantom's first slice.
    const points = [
      { x: 256, y: 40, range: [-1024, -900] },
      { x: 160, y: 250, range: [-950, -700] },
      { x: 60, y: 256, range: [-100, 100] },
      { x: 256, y: 380, range: [300, 1500] },
    ] as const;
    for (const [i, point] of points.entries()) {
      const at = await viewer.pagePointOf(point.x, point.y);
      await page.mouse.click(at.x, at.y);
      await expect.poll(async () => (await viewer.state())?.measurements.length).toBe(i + 1);
      const probe = (await viewer.state())?.measurements[i];
      if (probe?.values.kind !== 'probe') throw new Error(`no probe: ${JSON.stringify(probe)}`);
      const { column, row, value, modalityUnit } = probe.values;
      // Placed on the pixel clicked (the nearest one to the pointer)…
      expect(Math.abs(column - point.x)).toBeLessThanOrEqual(1);
      expect(Math.abs(row - point.y)).toBeLessThanOrEqual(1);
      // …and reading exactly the phantom's value there, in HU.
      expect(modalityUnit).toBe('HU');
      expect(value).toBe(hu(column, row));
      expect(value).toBeGreaterThanOrEqual(point.range[0]);
      expect(value).toBeLessThanOrEqual(point.range[1]);
      const words = `${value} HU · x ${column} y ${row}`;
      await expect(page.locator(`[data-measurement-id="${probe.id}"] .measurement-value`)).toHaveText(words);
      // Cornerstone draws each of the probe's lines as a tspan of its text box.
      await expect(viewer.viewport.locator('svg tspan', { hasText: new RegExp(`^${value} HU$`) })).toHaveCount(1);
      await expect(viewer.viewport.locator('svg tspan', { hasText: new RegExp(`^x ${column} y ${row}$`) })).toHaveCount(1);
    }
  });

  test('the cine rate field keeps what is typed: Backspace on 30 leaves 3, an empty field keeps the rate', async ({ signIn, worklist, viewer, demo, page }) => {
    const study = demo.cohort.studies.find((s) => s.accessionNumber === CHEST_CT);
    if (!study) throw new Error(`${CHEST_CT} is not in the demo data`);
    await openChestCt(signIn, worklist, viewer, study.studyInstanceUid);
    const frameRate = page.getByRole('spinbutton', { name: /Cine frame rate/ });

    await frameRate.fill('30');
    await expect.poll(async () => (await viewer.state())?.cine.framesPerSecond).toBe(30);
    await frameRate.press('End');
    await frameRate.press('Backspace');
    await expect(frameRate).toHaveValue('3');
    await expect.poll(async () => (await viewer.state())?.cine.framesPerSecond).toBe(3);
    await frameRate.press('Backspace');
    await expect(frameRate).toHaveValue('');
    expect((await viewer.state())?.cine.framesPerSecond).toBe(3);
    await frameRate.pressSequentially('12');
    await expect(frameRate).toHaveValue('12');
    await expect.poll(async () => (await viewer.state())?.cine.framesPerSecond).toBe(12);
    // Above 60 is 60, shown once the field is left; the arrows step the rate.
    await frameRate.fill('75');
    await frameRate.press('Enter');
    await expect(frameRate).toHaveValue('60');
    expect((await viewer.state())?.cine.framesPerSecond).toBe(60);
    await frameRate.focus();
    await frameRate.press('ArrowDown');
    await expect(frameRate).toHaveValue('59');
    await expect.poll(async () => (await viewer.state())?.cine.framesPerSecond).toBe(59);
  });
});
