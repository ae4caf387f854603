import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ViewerHookGlobals } from '@reading-station/contract';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_EXECUTABLE, CHROMIUM_FLAGS, loadStackConfig } from '@reading-station/stack';
import { ensureSeries100 } from '../data/series-100.ts';
import { loadAverage } from '../machine.ts';
import { median, percentile, round } from '../stats.ts';
import type { BenchContext } from './context.ts';

const CHROMIUM = CHROMIUM_EXECUTABLE;

export interface StudyOpening {
  /** From setting `#/studies/<uid>` to the first IMAGE_RENDERED of the series (the viewer's hook). */
  firstImageMs: number;
  /** From the same moment until the series' progress shows every slice loaded (fetched and decoded). */
  seriesDecodedMs: number;
  slices: number;
  /** Frame requests the page made (Resource Timing), and when the last one ended. */
  frameRequests: number;
  lastFrameResponseMs: number;
  /** Where the time to the first image goes: the study's QIDO/metadata answers, then the first frame. */
  lastMetadataResponseMs: number;
  firstFrameRequestMs: number;
  firstFrameResponseMs: number;
  /** The request for the frame that was drawn first: sent and received (the rest is decode and render). */
  shownFrameRequestMs: number;
  shownFrameResponseMs: number;
  /**
   * Cornerstone's `decodeTimeInMS` of every frame of the series once loaded (decode in the web
   * worker, whole milliseconds), in series order; empty when the viewer does not report it.
   */
  decodeMs: number[];
  /** `decodeMs` summarised; null when the viewer does not report it. */
  decode: DecodeSummary | null;
}

/** Decode time per frame (Cornerstone's own figure) over a set of frames. */
export interface DecodeSummary {
  frames: number;
  medianMs: number;
  p90Ms: number;
}

/**
 * - `cold`: the first study opened after login (codec WASM compiled, workers started on the way);
 * - `warm`: opened after another study was shown and fully loaded;
 * - `switch`: opened as soon as another study shows its first image, while that one still prefetches.
 */
export type ViewerState = 'cold' | 'warm' | 'switch';
const STATES: readonly ViewerState[] = ['cold', 'warm', 'switch'];

/**
 * How Chromium draws: with WebGL (SwiftShader here: headless, no GPU) as Cornerstone chooses by
 * default, and with 3D APIs disabled, when Cornerstone falls back to its CPU path (docs/facts.md, Chromium).
 */
const RENDERINGS = [
  { name: 'webgl', args: [] },
  { name: 'cpu', args: ['--disable-3d-apis'] },
] as const;
export type Rendering = (typeof RENDERINGS)[number]['name'];

type StateSummary = Record<ViewerState, { firstImageMs: number; seriesDecodedMs: number; msPerSlice: number; decode: DecodeSummary | null }>;

export interface ViewerRun {
  repetition: number;
  rendering: Rendering;
  /** What the viewer reported it used (`gpu` or `cpu`). */
  renderingMode: string;
  state: ViewerState;
  loadAverage1m: number;
  opening: StudyOpening;
}

export type ViewerResult =
  | { measured: false; reason: string }
  | {
      measured: true;
      slices: number;
      renderingMode: string;
      runs: ViewerRun[];
      /** Medians with Cornerstone's default (WebGL) rendering; the targets are read from these. */
      summary: StateSummary;
      cpuRendering: StateSummary;
      /**
       * Cornerstone's decodeTimeInMS per frame, over every frame of every opening (both renderings,
       * all states; per state in `summary`/`cpuRendering`), or null when the viewer does not report it.
       */
      decodeTimePerFrame: DecodeSummary | null;
    };

/**
 * The page's globals this benchmark reads (the viewer's hook by the contract's type); the bench is
 * type-checked without DOM types.
 */
interface PageGlobals extends ViewerHookGlobals {
  location: { hash: string };
  document: { querySelector(selector: string): { value: number; max: number } | null };
  performance: { now(): number; getEntriesByType(type: string): Array<{ name: string; startTime: number; responseEnd: number }> };
  setTimeout(callback: () => void, ms: number): void;
}

/**
 * Opens a study by its route and measures, inside the page, the time to the first rendered image
 * and (unless only the first image is wanted) to the whole series loaded, polling every 4 ms (the
 * resolution of these figures). With no series given, the series is whichever the viewer shows.
 */
async function openStudy(
  page: Page,
  studyInstanceUid: string,
  options: { series: string | null; until: 'first-image' | 'series-loaded' },
): Promise<Omit<StudyOpening, 'decode'>> {
  return page.evaluate(
    ({ study, wanted, until, timeoutMs }) =>
      new Promise<Omit<StudyOpening, 'decode'>>((resolve, reject) => {
        const g = globalThis as unknown as PageGlobals;
        const t0 = g.performance.now();
        g.location.hash = `#/studies/${study}`;
        let firstImageMs: number | null = null;
        let series: string | null = wanted;
        let shownImageId = '';
        let total = 0;
        const poll = (): void => {
          const now = g.performance.now() - t0;
          const state = g.__readingStationViewer?.state();
          if (firstImageMs === null && state && state.seriesInstanceUid !== null && (wanted === null || state.seriesInstanceUid === wanted)) {
            if (state.renderCount > 0 && state.renderedImageIndex !== null) {
              firstImageMs = now;
              series = state.seriesInstanceUid;
              shownImageId = state.imageId ?? '';
              total = state.imageCount;
            }
          }
          const progress = series === null ? null : g.document.querySelector(`[data-testid="series-thumbnail"][data-series-uid="${series}"] progress`);
          const loaded = progress !== null && total > 0 && progress.max === total && progress.value === total;
          if (firstImageMs !== null && (until === 'first-image' || loaded)) {
            const since = g.performance.getEntriesByType('resource').filter((entry) => entry.startTime >= t0 && entry.name.includes('/api/ris/'));
            const frames = since.filter((entry) => entry.name.includes(`/series/${series}/`) && entry.name.includes('/frames/'));
            const metadata = since.filter((entry) => !entry.name.includes('/frames/') && entry.startTime - t0 < (firstImageMs ?? 0));
            // wadors image ids are the frame's URL behind a scheme prefix.
            const shown = frames.find((entry) => shownImageId.endsWith(entry.name));
            // `?.()`: viewers built before the hook reported Cornerstone's timings have no loadTimings.
            const timings = until === 'first-image' ? [] : (g.__readingStationViewer?.loadTimings?.() ?? []);
            resolve({
              firstImageMs,
              seriesDecodedMs: until === 'first-image' ? Number.NaN : now,
              slices: total,
              frameRequests: frames.length,
              lastFrameResponseMs: Math.max(0, ...frames.map((entry) => entry.responseEnd - t0)),
              lastMetadataResponseMs: Math.max(0, ...metadata.map((entry) => entry.responseEnd - t0)),
              firstFrameRequestMs: Math.min(...frames.map((entry) => entry.startTime - t0)),
              firstFrameResponseMs: Math.min(...frames.map((entry) => entry.responseEnd - t0)),
              shownFrameRequestMs: shown ? shown.startTime - t0 : Number.NaN,
              shownFrameResponseMs: shown ? shown.responseEnd - t0 : Number.NaN,
              decodeMs: timings.flatMap((timing) => (timing.decodeMs === null ? [] : [timing.decodeMs])),
            });
            return;
          }
          if (now > timeoutMs) reject(new Error(`study ${study} not ${until === 'first-image' ? 'shown' : 'loaded'} after ${timeoutMs} ms (first image: ${firstImageMs ?? 'none'})`));
          else g.setTimeout(poll, 4);
        };
        poll();
      }),
    { study: studyInstanceUid, wanted: options.series, until: options.until, timeoutMs: 90_000 },
  );
}

async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Worklist' }).waitFor({ timeout: 30_000 });
}

async function renderingMode(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).__readingStationViewer?.state().renderingMode ?? 'unknown');
}

/**
 * Benchmark 4: in Debian's Chromium, the web app served by the stack's nginx (the same build the
 * desktop app loads), signed in as the admin, opening the 100-slice study in each `ViewerState`.
 * Every opening gets a fresh browser context (empty HTTP and image caches).
 */
export async function runViewer(context: BenchContext, options: { quick: boolean }): Promise<ViewerResult> {
  const dist = loadStackConfig().rendererDist;
  if (!existsSync(path.join(dist, 'index.html'))) return { measured: false, reason: `the web app is not built (${dist}/index.html is missing)` };
  const probe = await fetch(`${context.stack.file.baseUrl}/`, { signal: AbortSignal.timeout(5000) });
  if (!(probe.headers.get('content-type') ?? '').includes('text/html')) {
    await probe.arrayBuffer();
    return { measured: false, reason: 'the stack was started before the web app was built, so its nginx does not serve it; restart the stack' };
  }
  await probe.arrayBuffer();
  if (!existsSync(CHROMIUM)) return { measured: false, reason: `${CHROMIUM} is not installed` };

  const target = await ensureSeries100(context.stack, path.join(context.stack.file.stateDir, 'bench-data'));
  const admin = context.stack.demoUsers.find((u) => u.username === 'admin');
  const warmUp = admin?.studies.find((uid) => uid !== target.studyInstanceUid);
  if (!admin || !warmUp) throw new Error('viewer: no demo admin or demo study');

  const runs: ViewerRun[] = [];
  const repetitions = options.quick ? 1 : 2;
  for (const rendering of RENDERINGS) {
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...rendering.args], headless: true });
    try {
      for (let repetition = 1; repetition <= repetitions; repetition++) {
        for (const state of STATES) {
          const browserContext = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
          try {
            const page = await browserContext.newPage();
            await signIn(page, context.stack.file.baseUrl, admin.username, admin.password);
            if (state !== 'cold') await openStudy(page, warmUp, { series: null, until: state === 'warm' ? 'series-loaded' : 'first-image' });
            const loadAverage1m = loadAverage();
            const opened = await openStudy(page, target.studyInstanceUid, { series: target.seriesInstanceUid, until: 'series-loaded' });
            const opening: StudyOpening = { ...opened, decode: summariseDecode(opened.decodeMs) };
            runs.push({ repetition, rendering: rendering.name, renderingMode: await renderingMode(page), state, loadAverage1m, opening });
            context.log(
              `viewer ${rendering.name} ${repetition} ${state}: first image ${round(opening.firstImageMs, 0)} ms, 100 slices decoded ${round(opening.seriesDecodedMs, 0)} ms ` +
                `(metadata by ${round(opening.lastMetadataResponseMs, 0)} ms, first frame ${round(opening.firstFrameRequestMs, 0)}–${round(opening.firstFrameResponseMs, 0)} ms, ` +
                `shown frame ${round(opening.shownFrameRequestMs, 0)}–${round(opening.shownFrameResponseMs, 0)} ms, ` +
                `last of ${opening.frameRequests} frames at ${round(opening.lastFrameResponseMs, 0)} ms, ` +
                `decode per frame ${describeDecode(opening.decode)}), load ${loadAverage1m}`,
            );
          } finally {
            await browserContext.close();
          }
        }
      }
    } finally {
      await browser.close();
    }
  }
  const summarise = (rendering: Rendering): StateSummary => {
    const of = (state: ViewerState) => {
      const chosen = runs.filter((run) => run.rendering === rendering && run.state === state);
      const decoded = median(chosen.map((run) => run.opening.seriesDecodedMs));
      return {
        firstImageMs: round(median(chosen.map((run) => run.opening.firstImageMs)), 0),
        seriesDecodedMs: round(decoded, 0),
        msPerSlice: round(decoded / 100, 1),
        decode: summariseDecode(chosen.flatMap((run) => run.opening.decodeMs)),
      };
    };
    return { cold: of('cold'), warm: of('warm'), switch: of('switch') };
  };
  const mode = runs.find((run) => run.rendering === 'webgl')?.renderingMode ?? 'unknown';
  const decodeTimePerFrame = summariseDecode(runs.flatMap((run) => run.opening.decodeMs));
  context.log(`viewer: Cornerstone's decode time per frame over all openings: ${describeDecode(decodeTimePerFrame)}`);
  return { measured: true, slices: 100, renderingMode: mode, runs, summary: summarise('webgl'), cpuRendering: summarise('cpu'), decodeTimePerFrame };
}

/** Median and 90th percentile (nearest rank) of per-frame decode times; null without any. */
export function summariseDecode(decodeMs: readonly number[]): DecodeSummary | null {
  if (decodeMs.length === 0) return null;
  const sorted = [...decodeMs].sort((a, b) => a - b);
  return { frames: sorted.length, medianMs: round(median(sorted), 1), p90Ms: percentile(sorted, 90) };
}

export function describeDecode(decode: DecodeSummary | null): string {
  return decode ? `median ${decode.medianMs} ms, p90 ${decode.p90Ms} ms over ${decode.frames} frames` : 'not reported';
}
