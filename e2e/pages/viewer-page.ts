import { expect, type Locator, type Page } from '@playwright/test';
import type { PageGlobals, ViewerHookState } from '../support/viewer-hook.ts';

/** The study viewer, read through its role/test-id locators and the diagnostic hook. */
export class ViewerPage {
  readonly page: Page;
  readonly viewport: Locator;
  readonly banner: Locator;
  readonly slider: Locator;
  readonly thumbnails: Locator;
  readonly measurements: Locator;
  readonly overlayPatient: Locator;
  readonly overlayStudy: Locator;
  readonly overlayVoi: Locator;

  constructor(page: Page) {
    this.page = page;
    this.viewport = page.getByTestId('viewport');
    this.banner = page.getByTestId('error-banner');
    this.slider = page.getByRole('slider', { name: 'Slice' });
    this.thumbnails = page.getByTestId('series-thumbnail');
    this.measurements = page.getByTestId('measurement');
    this.overlayPatient = page.getByTestId('overlay-patient');
    this.overlayStudy = page.getByTestId('overlay-study');
    this.overlayVoi = page.getByTestId('overlay-voi');
  }

  async gotoStudy(studyInstanceUid: string): Promise<void> {
    await this.page.goto(`/#/studies/${studyInstanceUid}`);
  }

  /**
   * Waits until Cornerstone has rendered (IMAGE_RENDERED) the given slice of the given series —
   * or any first image when neither is given.
   */
  async waitForRendered(options: { imageIndex?: number; seriesInstanceUid?: string; timeout?: number } = {}): Promise<ViewerHookState> {
    const handle = await this.page.waitForFunction(
      ({ imageIndex, seriesInstanceUid }) => {
        const state = (globalThis as PageGlobals).__readingStationViewer?.state();
        if (!state || state.renderCount === 0 || state.renderedImageIndex === null) return null;
        if (imageIndex !== undefined && (state.renderedImageIndex !== imageIndex || state.imageIndex !== imageIndex)) return null;
        if (seriesInstanceUid !== undefined && state.seriesInstanceUid !== seriesInstanceUid) return null;
        return state;
      },
      { imageIndex: options.imageIndex, seriesInstanceUid: options.seriesInstanceUid },
      { timeout: options.timeout ?? 30_000 },
    );
    return (await handle.jsonValue()) as ViewerHookState;
  }

  state(): Promise<ViewerHookState | null> {
    return this.page.evaluate(() => (globalThis as PageGlobals).__readingStationViewer?.state() ?? null);
  }

  /**
   * Lets the page draw animation frames (requestAnimationFrame, where Cornerstone renders) until
   * `durationMs` of the page's own clock has passed: an observation window for "nothing changes".
   */
  async waitForAnimationFrames(durationMs: number): Promise<void> {
    await this.page.evaluate(
      (duration) =>
        new Promise<void>((resolve) => {
          // The browser's requestAnimationFrame (this code is type-checked without the DOM's types).
          const browser = globalThis as unknown as { requestAnimationFrame(callback: (now: number) => void): number };
          const start = performance.now();
          const frame = (now: number) => (now - start >= duration ? resolve() : browser.requestAnimationFrame(frame));
          browser.requestAnimationFrame(frame);
        }),
      durationMs,
    );
  }

  readStoredValues(points: ReadonlyArray<{ x: number; y: number }>): Promise<number[] | null> {
    return this.page.evaluate((pts) => {
      const samples = (globalThis as PageGlobals).__readingStationViewer?.readPixels(pts);
      return samples ? samples.map((s) => s.stored) : null;
    }, points);
  }

  /** Page coordinates of image pixel (x, y) as currently displayed. */
  async pagePointOf(x: number, y: number): Promise<{ x: number; y: number }> {
    const point = await this.page.evaluate(([px, py]) => (globalThis as PageGlobals).__readingStationViewer?.canvasPointOf(px, py) ?? null, [x, y] as const);
    const box = await this.viewport.boundingBox();
    if (!point || !box) throw new Error('no image on the viewport');
    return { x: box.x + point.x, y: box.y + point.y };
  }

  /** A left-button drag between two image pixels, in small steps as a hand would move. */
  async dragBetweenImagePoints(from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
    const start = await this.pagePointOf(from.x, from.y);
    const end = await this.pagePointOf(to.x, to.y);
    await this.page.mouse.move(start.x, start.y);
    await this.page.mouse.down();
    await this.page.mouse.move(end.x, end.y, { steps: 12 });
    await this.page.mouse.up();
  }

  tool(name: string): Locator {
    return this.page.getByRole('toolbar', { name: 'Viewer tools' }).getByRole('button', { name, exact: true });
  }

  async scrollToSlice(imageIndex: number): Promise<void> {
    await this.slider.fill(String(imageIndex + 1));
  }

  async expectNoPixels(): Promise<void> {
    await expect(this.page.locator('[data-testid="viewport"] canvas')).toHaveCount(0);
    expect(await this.state()).toBeNull();
  }
}
