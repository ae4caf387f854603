/**
 * Launching the desktop app under Playwright: a fresh temporary user-data dir and a clean
 * environment per launch, closed and removed afterwards. Specs skip themselves, with one line
 * saying why, when no Electron binary is available (the npm package downloads it lazily from a
 * host these machines cannot reach) or the app is not built.
 */
import { _electron as electron, type ElectronApplication, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@reading-station/stack';
import { test as base, expect } from '../support/fixtures.ts';

export const DESKTOP_MAIN = path.join(repoRoot, 'electron/dist/main/main.js');

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

/** Why the desktop specs cannot run here, or null when they can. */
export function desktopSkipReason(): string | null {
  if (!electronBinary()) return 'skipped: no Electron binary can be downloaded on this machine (set ELECTRON_OVERRIDE_DIST_PATH to run the desktop specs)';
  if (!existsSync(DESKTOP_MAIN)) return `skipped: the desktop app is not built (${path.relative(repoRoot, DESKTOP_MAIN)} is missing; run npm run build -w electron)`;
  return null;
}

let skipNoticePrinted = false;

interface DesktopFixtures {
  desktopApp: ElectronApplication;
  desktopWindow: Page;
}

export const test = base.extend<DesktopFixtures>({
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
  desktopApp: async ({}, use, testInfo) => {
    const skipReason = desktopSkipReason();
    if (skipReason) {
      if (!skipNoticePrinted) console.log(`Electron desktop specs ${skipReason}`);
      skipNoticePrinted = true;
      testInfo.skip(true, skipReason);
    }
    const executablePath = electronBinary();
    if (!executablePath) throw new Error('no Electron binary');
    const userDataDir = mkdtempSync(path.join(tmpdir(), 'reading-station-e2e-'));
    // Only what Electron needs from the environment: no tokens or settings leak in from the shell.
    const env: Record<string, string> = {};
    for (const key of ['PATH', 'HOME', 'DISPLAY', 'XAUTHORITY', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'LANG']) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    const app = await electron.launch({
      executablePath,
      args: ['--no-sandbox', `--user-data-dir=${userDataDir}`, DESKTOP_MAIN],
      env,
      timeout: 60_000,
    });
    try {
      await use(app);
    } finally {
      await app.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    }
  },
  // The browser page's guard would launch a browser; the desktop window gets its own below.
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
  contentSecurityPolicyGuard: async ({}, use) => {
    await use();
  },
  desktopWindow: async ({ desktopApp }, use) => {
    const window = await desktopApp.firstWindow();
    const refused: string[] = [];
    window.on('console', (message) => {
      if (/Content Security Policy|Refused to (load|execute|connect|create|compile|apply)/i.test(message.text())) refused.push(message.text());
    });
    await window.waitForLoadState('domcontentloaded');
    await use(window);
    expect(refused, 'the desktop app ran into its Content-Security-Policy').toEqual([]);
  },
});

export { expect };
