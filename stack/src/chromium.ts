/**
 * Debian's Chromium, never a downloaded browser, with the flags that work as root on these
 * machines (docs/facts.md, Chromium). Shared by the Playwright config (e2e) and the viewer benchmark
 * (bench), which both drive the stack's web app.
 */
export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
