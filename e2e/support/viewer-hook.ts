/**
 * The renderer's test/diagnostic hook `window.__readingStationViewer`, by the contract's type
 * (contract/src/viewer-hook.ts, set by renderer/src/imaging/viewer-diagnostics.ts). Plain data, no
 * DOM types, so the e2e code type-checks against it. Used only inside `page.evaluate` callbacks.
 */
export type { ReadingStationViewerHook as ViewerHook, ViewerHookState } from '@reading-station/contract';
import type { ViewerHookGlobals } from '@reading-station/contract';

/** `globalThis` in the page, as far as these tests use it. */
export type PageGlobals = ViewerHookGlobals;
