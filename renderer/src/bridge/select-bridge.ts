import type { ReadingStationBridge } from './bridge-contract.ts';
import { createWebBridge } from './web-bridge.ts';

declare global {
  interface Window {
    /** Set by the desktop app's preload (contextBridge); absent in the web host. */
    readingStation?: ReadingStationBridge;
  }
}

/** The desktop preload's bridge when there is one, else the web host's bridge over /api/auth. */
export function selectBridge(): ReadingStationBridge {
  return window.readingStation ?? createWebBridge();
}
