import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_EXECUTABLE, CHROMIUM_FLAGS } from '@reading-station/stack';
import { testedTlsIfAny, trustInNode } from './support/stack-under-test.ts';

/**
 * End-to-end tests in Debian's Chromium (never a downloaded browser) against a running stack:
 * `$RS_STACK_DIR/stack.json` (what `npm test` starts) or `.stack/stack.json`.
 *
 * One worker: some specs stop Orthanc or revoke a user's sessions, which other tests running at
 * the same time would see.
 */
const chromiumFlags = [...CHROMIUM_FLAGS];

// Over HTTPS when the stack serves it (support/stack-under-test.ts): Chromium trusts exactly the
// stack's certificate (its public key pinned; no blanket ignoring of certificate errors), and Node
// (the request fixture, fetch in specs, the desktop host's session service) trusts it beside the
// usual CAs. Every worker reads this file too, so each process trusts it.
const tls = testedTlsIfAny();
if (tls) {
  chromiumFlags.push(`--ignore-certificate-errors-spki-list=${tls.spkiHash}`);
  trustInNode(tls.certificateFile);
}

const chromium = {
  ...devices['Desktop Chrome'],
  viewport: { width: 1400, height: 900 },
  // Canvas checks map image pixels to screen pixels one to one.
  deviceScaleFactor: 1,
  launchOptions: { executablePath: CHROMIUM_EXECUTABLE, args: chromiumFlags },
};

export default defineConfig({
  testDir: '.',
  outputDir: 'test-results',
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      testMatch: 'tests/**/*.spec.ts',
      testIgnore: ['tests/cpu-rendering.spec.ts', 'tests/corpus/**'],
      use: chromium,
    },
    {
      // pydicom's corpus, imported into the stack: after the other Chromium specs, because the
      // admin (whose worklist they count) sees every imported study.
      name: 'chromium-corpus',
      testMatch: 'tests/corpus/**/*.spec.ts',
      dependencies: ['chromium'],
      use: chromium,
    },
    {
      // No WebGL at all: Cornerstone must fall back to drawing on the CPU.
      name: 'chromium-no-webgl',
      testMatch: 'tests/cpu-rendering.spec.ts',
      use: { ...chromium, launchOptions: { ...chromium.launchOptions, args: [...chromiumFlags, '--disable-3d-apis'] } },
    },
    {
      // The desktop app: in Electron where a binary exists (ELECTRON_OVERRIDE_DIST_PATH), else in
      // the Chromium desktop host (desktop-host/desktop-host.ts); electron/electron-fixtures.ts chooses.
      name: 'desktop',
      testMatch: 'electron/**/*.spec.ts',
      // Each start of the app (several per spec) loads the whole renderer build again.
      timeout: 240_000,
      use: chromium,
    },
  ],
});
