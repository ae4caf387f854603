/**
 * The desktop app under Playwright, in one of two hosts:
 *
 * - **Electron**, where a binary exists (`ELECTRON_OVERRIDE_DIST_PATH`, or the npm package's own
 *   download) and `electron/dist` is built: `_electron.launch` with a fresh user-data directory.
 * - **The Chromium desktop host** otherwise (no Electron binary can be downloaded on these
 *   machines): the renderer's build on the app's origin with the desktop's CSP, and the desktop's
 *   own preload, IPC checks and main-process services behind it (desktop-host/desktop-host.ts).
 *
 * Either way the keychain is a real gnome-keyring on a private D-Bus session (unlocked, shared by
 * the worker and emptied after each test) unless a spec asks for a locked one or none at all
 * (`test.use({ desktopKeychain: 'locked' | 'none' })`), and `desktop.restart()` quits the app and
 * starts it again over the same keychain, settings and browser storage. Each test is annotated
 * with the host that ran it (`desktop-host`), which the test summary reports.
 */
import { _electron as electron, type ElectronApplication, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@reading-station/stack';
import { SETTINGS_FILE_NAME, VAULT_SERVICE, loadKeytar, startPrivateKeyring, type PrivateKeyring } from '@reading-station/electron/desktop-host';
import { ChromiumDesktopHost } from '../desktop-host/desktop-host.ts';
import { test as base, expect } from '../support/fixtures.ts';
import { testedTlsIfAny } from '../support/stack-under-test.ts';

export const DESKTOP_MAIN = path.join(repoRoot, 'electron/dist/main/main.js');
export const RENDERER_DIST = path.join(repoRoot, 'renderer/dist');

/**
 * The Electron executable: under ELECTRON_OVERRIDE_DIST_PATH, else the npm package's own download
 * if one happened. Looked up on disk only: loading the package's index.js would start a download
 * from a host these machines cannot reach.
 */
export function electronBinary(): string | null {
  const executableName = process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = path.join(override, executableName);
    return existsSync(candidate) ? candidate : null;
  }
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : executableName;
  const candidate = path.join(packageDir, 'dist', relative);
  return existsSync(candidate) ? candidate : null;
}

export type DesktopHostKind = 'electron' | 'chromium-host';

/** Which host runs the desktop specs here, and why. */
export function desktopHostChoice(): { kind: DesktopHostKind; why: string } {
  if (!electronBinary()) return { kind: 'chromium-host', why: 'no Electron binary on this machine (set ELECTRON_OVERRIDE_DIST_PATH to run them in Electron)' };
  if (!existsSync(DESKTOP_MAIN)) return { kind: 'chromium-host', why: `the desktop app is not built (${path.relative(repoRoot, DESKTOP_MAIN)}; run npm run build -w electron)` };
  return { kind: 'electron', why: 'an Electron binary exists' };
}

export type DesktopKeychain = 'unlocked' | 'locked' | 'none';

export interface DesktopApp {
  readonly kind: DesktopHostKind;
  /** The app's window (replaced by restart()). */
  readonly window: Page;
  readonly userDataDir: string;
  /** `<userData>/settings.json`. */
  readonly settingsFile: string;
  /** Quits the app and starts it again over the same keychain, settings and storage. */
  restart(): Promise<Page>;
  /** Everything the app's main process wrote so far. */
  logs(): string;
  /** The IPC channels the main process answers (Chromium host only: Electron does not tell). */
  registeredChannels(): string[] | null;
  /** What the session service had emptied in the window's partition (Chromium host only). */
  browsingDataClears(): string[] | null;
  /** CSP refusals whose text matches are expected by this test (the guard ignores them). */
  expectCspRefusals(pattern: RegExp): void;
}

/** The unlocked keyring as the tests read it (keytar, in the test's own process). */
export interface KeychainProbe {
  entries(): Promise<Array<{ account: string; password: string }>>;
  remove(account: string): Promise<boolean>;
}

let noticePrinted = false;

interface DesktopFixtures {
  desktopKeychain: DesktopKeychain;
  desktop: DesktopApp;
  desktopWindow: Page;
}

interface DesktopWorkerFixtures {
  unlockedKeyring: PrivateKeyring;
  keychain: KeychainProbe;
}

export const test = base.extend<DesktopFixtures, DesktopWorkerFixtures>({
  desktopKeychain: ['unlocked', { option: true }],
  unlockedKeyring: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use) => {
      const keyring = await startPrivateKeyring('unlocked');
      // libsecret binds this process to the first bus it uses: the probe below reads this one.
      process.env.DBUS_SESSION_BUS_ADDRESS = keyring.busAddress;
      try {
        await use(keyring);
      } finally {
        await keyring.stop();
      }
    },
    { scope: 'worker' },
  ],
  keychain: [
    async ({ unlockedKeyring }, use) => {
      void unlockedKeyring;
      const keytar = await loadKeytar();
      await use({
        entries: () => keytar.findCredentials(VAULT_SERVICE),
        remove: (account) => keytar.deletePassword(VAULT_SERVICE, account),
      });
    },
    { scope: 'worker' },
  ],
  desktop: async ({ desktopKeychain, unlockedKeyring, keychain, playwright, launchOptions, viewport }, use, testInfo) => {
    const choice = desktopHostChoice();
    if (!noticePrinted) console.log(`Desktop specs run in ${choice.kind === 'electron' ? 'Electron' : 'the Chromium desktop host'}: ${choice.why}`);
    noticePrinted = true;
    testInfo.annotations.push({ type: 'desktop-host', description: choice.kind });

    const locked = desktopKeychain === 'locked' ? await startPrivateKeyring('locked') : null;
    const busAddress = desktopKeychain === 'unlocked' ? unlockedKeyring.busAddress : (locked?.busAddress ?? null);
    const userDataDir = mkdtempSync(path.join(tmpdir(), 'reading-station-desktop-'));
    const cspPatterns: RegExp[] = [];
    const refused: string[] = [];
    const pageOutput: string[] = [];
    const watchConsole = (window: Page) =>
      window.on('pageerror', (error) => pageOutput.push(`page error: ${error.message}`)).on('console', (message) => {
        const text = message.text();
        pageOutput.push(`console ${message.type()}: ${text}`);
        if (/Content Security Policy|Refused to (load|execute|connect|create|compile|apply)/i.test(text) && !cspPatterns.some((p) => p.test(text))) refused.push(text);
      });
    const common = {
      kind: choice.kind,
      userDataDir,
      settingsFile: path.join(userDataDir, SETTINGS_FILE_NAME),
      expectCspRefusals: (pattern: RegExp) => void cspPatterns.push(pattern),
    };

    let app: DesktopApp;
    let close: () => Promise<void>;
    if (choice.kind === 'electron') {
      const executablePath = electronBinary();
      if (!executablePath) throw new Error('no Electron binary');
      const output: string[] = [];
      const launch = async () => {
        // Only what Electron needs from the environment: no tokens or settings leak in from the shell.
        const env: Record<string, string> = {};
        for (const key of ['PATH', 'HOME', 'DISPLAY', 'XAUTHORITY', 'XDG_RUNTIME_DIR', 'LANG']) {
          const value = process.env[key];
          if (value !== undefined) env[key] = value;
        }
        // The main process trusts the test stack's certificate, as the test processes do.
        const tls = testedTlsIfAny();
        if (tls) env.NODE_EXTRA_CA_CERTS = tls.certificateFile;
        if (busAddress) env.DBUS_SESSION_BUS_ADDRESS = busAddress;
        // The window trusts the test stack's certificate as the Chromium projects do (its key pinned).
        const pinned = (launchOptions.args ?? []).filter((arg) => arg.startsWith('--ignore-certificate-errors-spki-list='));
        const launched = await electron.launch({ executablePath, args: ['--no-sandbox', ...pinned, `--user-data-dir=${userDataDir}`, DESKTOP_MAIN], env, timeout: 60_000 });
        launched.process().stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
        launched.process().stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
        const window = await launched.firstWindow();
        watchConsole(window);
        await window.waitForLoadState('domcontentloaded');
        return { launched, window };
      };
      let current: { launched: ElectronApplication; window: Page } = await launch();
      app = {
        ...common,
        get window() {
          return current.window;
        },
        restart: async () => {
          await current.launched.close();
          current = await launch();
          return current.window;
        },
        logs: () => output.join(''),
        registeredChannels: () => null,
        browsingDataClears: () => null,
      };
      close = () => current.launched.close().catch(() => undefined);
    } else {
      if (!existsSync(path.join(RENDERER_DIST, 'index.html'))) throw new Error(`the renderer is not built (${RENDERER_DIST}); run npm run build -w renderer`);
      const browser = await playwright.chromium.launch(launchOptions);
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
      context.on('page', watchConsole);
      // The host's main process trusts the test stack's certificate, as the test processes do.
      const extraCaCertificateFile = testedTlsIfAny()?.certificateFile;
      const host = await ChromiumDesktopHost.launch({ context, rendererDir: RENDERER_DIST, userDataDir, busAddress, extraCaCertificateFile });
      app = {
        ...common,
        get window() {
          return host.page;
        },
        restart: () => host.restart(),
        logs: () => host.logs.join(''),
        registeredChannels: () => [...host.channels],
        browsingDataClears: () => [...host.browsingDataClears],
      };
      close = async () => {
        await host.quit().catch(() => undefined);
        await browser.close();
      };
    }

    try {
      await use(app);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('desktop app output', { body: `${app.logs()}\n--- page ---\n${pageOutput.join('\n')}`, contentType: 'text/plain' });
      }
      await close();
      // The worker's keyring outlives the test: what the test left there goes.
      for (const entry of await keychain.entries()) await keychain.remove(entry.account);
      await locked?.stop();
      rmSync(userDataDir, { recursive: true, force: true });
    }
    expect(refused, 'the desktop app ran into its Content-Security-Policy').toEqual([]);
  },
  desktopWindow: async ({ desktop }, use) => {
    await use(desktop.window);
  },
  // The browser page's guard would open a page of the default context; the desktop app has its own.
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
  contentSecurityPolicyGuard: async ({}, use) => {
    await use();
  },
});

export { expect };
