import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ViewerHookGlobals } from '@reading-station/contract';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { CHROMIUM_EXECUTABLE, CHROMIUM_FLAGS, loadStackConfig } from '@reading-station/stack';
import { SERIES_100, SERIES_512, ensureBenchSeries } from '../data/series-100.ts';
import { loadAverage } from '../machine.ts';
import { threadCpuSeconds, threads } from '../proc.ts';
import { median, percentile, round } from '../stats.ts';
import type { BenchContext } from './context.ts';

const CHROMIUM = CHROMIUM_EXECUTABLE;

export interface StudyOpening {
  /** From setting `#/studies/<uid>` to the first IMAGE_RENDERED of the series (the viewer's hook). */
  firstImageMs: number;
  /**
   * From the same moment to the first image's reduced-resolution preview drawn (the viewer's hook);
   * null when none was drawn (not HTJ2K, or a viewer without previews).
   */
  firstPreviewMs: number | null;
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
  /** The page's decode workers (Playwright sees each as a dedicated worker) and its logical cores. */
  decodeWorkers: number;
  cores: number;
  /**
   * The decode-time floor: the sum of `decodeMs` over the workers that can run at once (the
   * workers, at most one per core). No schedule shows the series sooner than this; null without figures.
   */
  decodeFloorMs: number | null;
  /** `seriesDecodedMs` ÷ `decodeFloorMs`. */
  shownToFloor: number | null;
  /**
   * Busy time of the page's main thread during the opening (Chromium's TaskDuration through CDP),
   * total and per slice: what the page does besides the workers' decoding.
   */
  mainThreadMs: number;
  mainThreadMsPerSlice: number;
  /**
   * CPU time per slice of the page's renderer process during the opening, from /proc: its main
   * thread, and its decode workers together. Unlike TaskDuration these do not grow when other
   * work on the machine takes the cores away. Null when the renderer could not be told apart.
   */
  mainThreadCpuMsPerSlice: number | null;
  workerCpuMsPerSlice: number | null;
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

/** Medians over the openings of one kind. */
export interface OpeningSummary {
  firstImageMs: number;
  /** Median over the openings that drew a preview; null if none did. */
  firstPreviewMs: number | null;
  seriesDecodedMs: number;
  msPerSlice: number;
  decode: DecodeSummary | null;
  decodeFloorMs: number | null;
  shownToFloor: number | null;
  mainThreadMsPerSlice: number;
  mainThreadCpuMsPerSlice: number | null;
  workerCpuMsPerSlice: number | null;
}
type StateSummary = Record<ViewerState, OpeningSummary>;

export interface ViewerRun {
  /** The series opened: the 100-slice one in every state, the 512-slice one warm. */
  slices: number;
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
      /** The 512-slice thin-slice series opened warm, by rendering; null when not measured. */
      series512: { slices: number; webgl: OpeningSummary; cpu: OpeningSummary } | null;
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
  performance: {
    now(): number;
    getEntriesByType(type: string): Array<{ name: string; startTime: number; responseEnd: number }>;
    clearResourceTimings(): void;
    setResourceTimingBufferSize(size: number): void;
  };
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
  options: { series: string | null; until: 'first-image' | 'series-loaded'; slices?: number },
): Promise<OpenedInPage> {
  return page.evaluate(
    ({ study, wanted, until, timeoutMs }) =>
      new Promise<OpenedInPage>((resolve, reject) => {
        const g = globalThis as unknown as PageGlobals;
        // Chromium keeps 250 resource entries by default: fewer than a 512-slice series' requests.
        g.performance.clearResourceTimings();
        g.performance.setResourceTimingBufferSize(4096);
        const t0 = g.performance.now();
        g.location.hash = `#/studies/${study}`;
        let firstImageMs: number | null = null;
        let firstPreviewMs: number | null = null;
        let series: string | null = wanted;
        let shownImageId = '';
        let total = 0;
        const poll = (): void => {
          const now = g.performance.now() - t0;
          // Once the first image is drawn only the progress element is read: the poll itself runs on
          // the main thread it measures.
          const state = firstImageMs === null ? g.__readingStationViewer?.state() : undefined;
          if (firstImageMs === null && state && state.seriesInstanceUid !== null && (wanted === null || state.seriesInstanceUid === wanted)) {
            if (state.renderCount > 0 && state.renderedImageIndex !== null) {
              firstImageMs = now;
              // `?? []`: viewers built before previews have none.
              const preview = (state.previews ?? []).find((record) => record.shownAt >= t0);
              firstPreviewMs = preview ? (preview.drawnAt ?? preview.shownAt) - t0 : null;
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
            // A series retrieval (`…/series/{uid}`, the viewer's batch) is frames, not metadata.
            const metadata = since.filter((entry) => !entry.name.includes('/frames/') && !/\/series\/[^/?]+(\?|$)/.test(entry.name) && entry.startTime - t0 < (firstImageMs ?? 0));
            // wadors image ids are the frame's URL behind a scheme prefix.
            const shown = frames.find((entry) => shownImageId.endsWith(entry.name));
            // `?.()`: viewers built before the hook reported Cornerstone's timings have no loadTimings.
            const timings = until === 'first-image' ? [] : (g.__readingStationViewer?.loadTimings?.() ?? []);
            resolve({
              firstImageMs,
              firstPreviewMs,
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
    // A 512-slice series on a shared 2-core machine takes minutes, not seconds.
    { study: studyInstanceUid, wanted: options.series, until: options.until, timeoutMs: Math.max(90_000, (options.slices ?? 0) * 500) },
  );
}

type OpenedInPage = Omit<
  StudyOpening,
  'decode' | 'decodeWorkers' | 'cores' | 'decodeFloorMs' | 'shownToFloor' | 'mainThreadMs' | 'mainThreadMsPerSlice' | 'mainThreadCpuMsPerSlice' | 'workerCpuMsPerSlice'
>;

/** Chromium names the threads of dedicated workers so. */
const WORKER_THREAD = /^DedicatedWorker/;

/** CPU seconds so far of every thread of the browser's renderer processes, by process and thread. */
async function rendererThreadCpu(browserCdp: CDPSession): Promise<Map<number, Map<number, { name: string; seconds: number }>>> {
  const { processInfo } = (await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; id: number }> };
  const byProcess = new Map<number, Map<number, { name: string; seconds: number }>>();
  for (const { id: pid } of processInfo.filter((info) => info.type === 'renderer')) {
    byProcess.set(pid, new Map(threads(pid).map(({ tid, name }) => [tid, { name, seconds: threadCpuSeconds(pid, tid) }])));
  }
  return byProcess;
}

/**
 * The page's main-thread and decode-worker CPU between two snapshots, ms: the page's renderer is
 * the one running dedicated workers, and its main thread is the thread whose id is the process's.
 */
export function pageCpuMs(
  before: ReadonlyMap<number, ReadonlyMap<number, { name: string; seconds: number }>>,
  after: ReadonlyMap<number, ReadonlyMap<number, { name: string; seconds: number }>>,
): { mainMs: number; workersMs: number } | null {
  const pages = [...after].filter(([, byThread]) => [...byThread.values()].some((thread) => WORKER_THREAD.test(thread.name)));
  if (pages.length !== 1) return null;
  const [pid, threadsAfter] = pages[0] as [number, ReadonlyMap<number, { name: string; seconds: number }>];
  const spent = (tid: number): number => (threadsAfter.get(tid)?.seconds ?? 0) - (before.get(pid)?.get(tid)?.seconds ?? 0);
  const workers = [...threadsAfter].filter(([, thread]) => WORKER_THREAD.test(thread.name)).map(([tid]) => tid);
  return { mainMs: spent(pid) * 1000, workersMs: workers.reduce((sum, tid) => sum + spent(tid), 0) * 1000 };
}

/** Chromium's busy time of the page's main thread so far, ms (CDP Performance.getMetrics). */
async function mainThreadBusyMs(cdp: CDPSession): Promise<number> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const task = metrics.find((metric) => metric.name === 'TaskDuration');
  if (!task) throw new Error('Chromium reports no TaskDuration metric');
  return task.value * 1000;
}

/** Opens the study as `openStudy` does, with the page's main-thread time, its decode workers and the decode floor. */
async function measureOpening(
  page: Page,
  cdp: { page: CDPSession; browser: CDPSession },
  studyInstanceUid: string,
  series: string,
  slices: number,
): Promise<StudyOpening> {
  const cpuBefore = await rendererThreadCpu(cdp.browser);
  const busyBefore = await mainThreadBusyMs(cdp.page);
  const opened = await openStudy(page, studyInstanceUid, { series, until: 'series-loaded', slices });
  const mainThreadMs = (await mainThreadBusyMs(cdp.page)) - busyBefore;
  const cpu = pageCpuMs(cpuBefore, await rendererThreadCpu(cdp.browser));
  const perSlice = (ms: number): number => round(ms / Math.max(1, opened.slices), 1);
  const decodeWorkers = page.workers().filter((worker) => /decodeImageFrameWorker/.test(worker.url())).length;
  const cores = await page.evaluate(() => (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator.hardwareConcurrency);
  const decodeFloorMs = decodeFloor(opened.decodeMs, decodeWorkers, cores);
  return {
    ...opened,
    decode: summariseDecode(opened.decodeMs),
    decodeWorkers,
    cores,
    decodeFloorMs: decodeFloorMs === null ? null : round(decodeFloorMs, 0),
    shownToFloor: decodeFloorMs === null ? null : round(opened.seriesDecodedMs / decodeFloorMs, 2),
    mainThreadMs: round(mainThreadMs, 0),
    mainThreadMsPerSlice: perSlice(mainThreadMs),
    mainThreadCpuMsPerSlice: cpu ? perSlice(cpu.mainMs) : null,
    workerCpuMsPerSlice: cpu ? perSlice(cpu.workersMs) : null,
  };
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

  const dataDir = path.join(context.stack.file.stateDir, 'bench-data');
  const target = await ensureBenchSeries(context.stack, dataDir, SERIES_100, context.log);
  const thin = await ensureBenchSeries(context.stack, dataDir, SERIES_512, context.log);
  const admin = context.stack.demoUsers.find((u) => u.username === 'admin');
  const warmUp = admin?.studies.find((uid) => uid !== target.studyInstanceUid);
  if (!admin || !warmUp) throw new Error('viewer: no demo admin or demo study');

  const runs: ViewerRun[] = [];
  const repetitions = options.quick ? 1 : 2;
  // Every state with the 100-slice series, then the 512-slice one warm.
  const openings = [...STATES.map((state) => ({ state, series: target })), { state: 'warm' as const, series: thin }];
  for (const rendering of RENDERINGS) {
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...rendering.args], headless: true });
    const browserCdp = await browser.newBrowserCDPSession();
    try {
      for (let repetition = 1; repetition <= repetitions; repetition++) {
        for (const { state, series } of openings) {
          const browserContext = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
          try {
            const page = await browserContext.newPage();
            const cdp = { page: await browserContext.newCDPSession(page), browser: browserCdp };
            await cdp.page.send('Performance.enable');
            await signIn(page, context.stack.file.baseUrl, admin.username, admin.password);
            if (state !== 'cold') await openStudy(page, warmUp, { series: null, until: state === 'warm' ? 'series-loaded' : 'first-image' });
            const loadAverage1m = loadAverage();
            const opening = await measureOpening(page, cdp, series.studyInstanceUid, series.seriesInstanceUid, series.slices);
            runs.push({ slices: series.slices, repetition, rendering: rendering.name, renderingMode: await renderingMode(page), state, loadAverage1m, opening });
            context.log(
              `viewer ${rendering.name} ${repetition} ${state}: ${opening.firstPreviewMs == null ? '' : `preview ${round(opening.firstPreviewMs, 0)} ms, `}first image ${round(opening.firstImageMs, 0)} ms, ${series.slices} slices shown ${round(opening.seriesDecodedMs, 0)} ms ` +
                `= ${opening.shownToFloor ?? '?'} × the decode floor ${opening.decodeFloorMs ?? '?'} ms (${opening.decodeWorkers} workers, ${opening.cores} cores), ` +
                `main thread ${opening.mainThreadMsPerSlice} ms per slice (CPU ${opening.mainThreadCpuMsPerSlice ?? '?'} ms, decode workers' CPU ${opening.workerCpuMsPerSlice ?? '?'} ms) ` +
                `(metadata by ${round(opening.lastMetadataResponseMs, 0)} ms, first frame ${round(opening.firstFrameRequestMs, 0)}–${round(opening.firstFrameResponseMs, 0)} ms, ` +
                `shown frame ${round(opening.shownFrameRequestMs, 0)}–${round(opening.shownFrameResponseMs, 0)} ms, ` +
                `last of ${opening.frameRequests} frame requests at ${round(opening.lastFrameResponseMs, 0)} ms, ` +
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
  const of = (rendering: Rendering, state: ViewerState, slices: number): OpeningSummary =>
    summariseOpenings(runs.filter((run) => run.rendering === rendering && run.state === state && run.slices === slices).map((run) => run.opening));
  const summarise = (rendering: Rendering): StateSummary => ({
    cold: of(rendering, 'cold', target.slices),
    warm: of(rendering, 'warm', target.slices),
    switch: of(rendering, 'switch', target.slices),
  });
  const mode = runs.find((run) => run.rendering === 'webgl')?.renderingMode ?? 'unknown';
  const decodeTimePerFrame = summariseDecode(runs.filter((run) => run.slices === target.slices).flatMap((run) => run.opening.decodeMs));
  context.log(`viewer: Cornerstone's decode time per frame over all openings of the ${target.slices}-slice series: ${describeDecode(decodeTimePerFrame)}`);
  return {
    measured: true,
    slices: target.slices,
    renderingMode: mode,
    runs,
    summary: summarise('webgl'),
    cpuRendering: summarise('cpu'),
    series512: { slices: thin.slices, webgl: of('webgl', 'warm', thin.slices), cpu: of('cpu', 'warm', thin.slices) },
    decodeTimePerFrame,
  };
}

/**
 * The decode-time floor of a series: its frames' decode times summed, over as many of them as
 * can run at once (one per worker, at most one per core). Null without figures or workers.
 */
export function decodeFloor(decodeMs: readonly number[], workers: number, cores: number): number | null {
  const parallel = Math.min(workers, cores);
  if (decodeMs.length === 0 || !(parallel >= 1)) return null;
  return decodeMs.reduce((sum, ms) => sum + ms, 0) / parallel;
}

const medianOf = (values: readonly number[], digits: number): number | null => (values.length > 0 ? round(median(values), digits) : null);

/** Medians of openings of one kind (the ratio to the floor per opening, then its median). */
export function summariseOpenings(openings: readonly StudyOpening[]): OpeningSummary {
  const decoded = median(openings.map((opening) => opening.seriesDecodedMs));
  const slices = openings[0]?.slices ?? 0;
  const known = (values: Array<number | null>): number[] => values.filter((value): value is number => value !== null);
  const floors = known(openings.map((opening) => opening.decodeFloorMs));
  const ratios = known(openings.map((opening) => opening.shownToFloor));
  return {
    firstImageMs: round(median(openings.map((opening) => opening.firstImageMs)), 0),
    firstPreviewMs: medianOf(known(openings.map((opening) => opening.firstPreviewMs ?? null)), 0),
    seriesDecodedMs: round(decoded, 0),
    msPerSlice: round(decoded / Math.max(1, slices), 1),
    decode: summariseDecode(openings.flatMap((opening) => opening.decodeMs)),
    decodeFloorMs: medianOf(floors, 0),
    shownToFloor: medianOf(ratios, 2),
    mainThreadMsPerSlice: round(median(openings.map((opening) => opening.mainThreadMsPerSlice)), 1),
    mainThreadCpuMsPerSlice: medianOf(known(openings.map((opening) => opening.mainThreadCpuMsPerSlice)), 1),
    workerCpuMsPerSlice: medianOf(known(openings.map((opening) => opening.workerCpuMsPerSlice)), 1),
  };
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
