import type { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

/*
 * The window factory against the shared stand-in for the `electron` module (testing/
 * fake-electron.ts: no Electron binary can run on the build machines). It records what the
 * factory asks Electron for (web preferences, handlers, event guards, the protocol handler) and
 * the tests then drive those recorded handlers as Electron would.
 */
const electron = await vi.hoisted(async () => (await import('../testing/fake-electron.ts')).createFakeElectron());
vi.mock('electron', () => electron.module);

const { createMainWindow, hardenWebContents, APP_PARTITION } = await import('./window.ts');
const { createAppRequestHandler } = await import('./app-protocol.ts');
const { buildContentSecurityPolicy } = await import('./content-security-policy.ts');

const rendererDir = mkdtempSync(join(tmpdir(), 'rs-renderer-'));
writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><script type="module" src="./assets/app.js"></script>');
afterAll(() => rmSync(rendererDir, { recursive: true, force: true }));

let serverUrl: string | null = 'https://pacs.hospital.example';
const handleAppRequest = createAppRequestHandler({ rendererDir, contentSecurityPolicy: () => buildContentSecurityPolicy(serverUrl) });

function openWindow(options: { devTools?: boolean; contentProtection?: boolean } = {}) {
  electron.reset();
  createMainWindow({ preloadPath: '/opt/reading-station/dist/preload/preload.js', handleAppRequest, devTools: options.devTools ?? false, ...options });
  const window = electron.windows[0];
  const appSession = electron.sessions.get(APP_PARTITION);
  if (!window || !appSession) throw new Error('the factory made no window or no app session');
  return { window, appSession };
}

/** Emits a navigation-style event as Electron 45 does: an Event carrying `url` and preventDefault. */
function attempt(contents: EventEmitter, eventName: string, url: string): boolean {
  let prevented = false;
  contents.emit(eventName, { url, preventDefault: () => (prevented = true) }, url);
  return prevented;
}

describe('createMainWindow', () => {
  beforeEach(() => {
    serverUrl = 'https://pacs.hospital.example';
  });

  it('turns on isolation, the sandbox and web security, and Node off, with our preload and session', () => {
    const { window, appSession } = openWindow();
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      devTools: false,
      preload: '/opt/reading-station/dist/preload/preload.js',
    });
    expect(window.options.webPreferences.session).toBe(appSession);
    expect(APP_PARTITION).toBe('persist:reading-station');
  });

  it('loads the renderer from the app protocol, not file:// or a server', () => {
    const { window } = openWindow();
    expect(window.loadedUrl).toBe('app://reading-station/index.html');
    expect(window.options.show).toBe(false);
  });

  it('can hide the window from screen capture', () => {
    expect(openWindow({ contentProtection: true }).window.contentProtection).toBe(true);
    expect(openWindow().window.contentProtection).toBe(false);
  });

  it('serves the app protocol with the CSP as a response header naming the configured server', async () => {
    const { appSession } = openWindow();
    const handler = appSession.protocols.get('app');
    expect(handler).toBeDefined();
    const response = await handler!(new Request('app://reading-station/index.html'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("connect-src 'self' https://pacs.hospital.example;");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    // No remote scripts, no eval beyond WebAssembly compilation, no wildcards.
    expect(csp.split('; ').find((directive) => directive.startsWith('script-src'))).toBe("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp.replace("'wasm-unsafe-eval'", '')).not.toContain('unsafe-eval');
    expect(csp).not.toContain('*');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends the CSP with every response, errors included, and follows a server change', async () => {
    const { appSession } = openWindow();
    const handler = appSession.protocols.get('app')!;
    const missing = await handler(new Request('app://reading-station/assets/missing.js'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toContain("connect-src 'self' https://pacs.hospital.example");
    serverUrl = 'https://other.hospital.example:8443';
    const again = await handler(new Request('app://reading-station/'));
    expect(again.headers.get('content-security-policy')).toContain("connect-src 'self' https://other.hospital.example:8443;");
    serverUrl = null;
    const none = await handler(new Request('app://reading-station/'));
    expect(none.headers.get('content-security-policy')).toContain("connect-src 'self';");
  });

  it.each(['will-navigate', 'will-frame-navigate', 'will-redirect'])('%s: stays inside the app', (eventName) => {
    const { window } = openWindow();
    const contents = window.webContents;
    expect(attempt(contents, eventName, 'app://reading-station/index.html#/worklist')).toBe(false);
    expect(attempt(contents, eventName, 'https://evil.example/')).toBe(true);
    expect(attempt(contents, eventName, 'https://pacs.hospital.example/')).toBe(true);
    expect(attempt(contents, eventName, 'file:///etc/passwd')).toBe(true);
    expect(attempt(contents, eventName, 'app://reading-station.evil/')).toBe(true);
    expect(attempt(contents, eventName, 'javascript:alert(1)')).toBe(true);
  });

  it('denies every new window, the app\'s own included', () => {
    const { window } = openWindow();
    const handler = window.webContents.windowOpenHandler;
    expect(handler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(handler?.({ url: 'app://reading-station/index.html' })).toEqual({ action: 'deny' });
  });

  it('refuses webviews', () => {
    const { window } = openWindow();
    expect(attempt(window.webContents, 'will-attach-webview', 'app://reading-station/')).toBe(true);
  });

  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'display-capture', 'openExternal', 'fullscreen', 'hid', 'usb', 'serial'])(
    'denies the %s permission request and check, even to the app',
    (permission) => {
      const { appSession } = openWindow();
      const granted: boolean[] = [];
      const request = appSession.handlers.permissionRequest as unknown as (...args: unknown[]) => void;
      request({}, permission, (answer: boolean) => granted.push(answer), { requestingUrl: 'app://reading-station/index.html', isMainFrame: true });
      expect(granted).toEqual([false]);
      const check = appSession.handlers.permissionCheck as unknown as (...args: unknown[]) => boolean;
      expect(check({}, permission, 'app://reading-station', { requestingUrl: 'app://reading-station/index.html' })).toBe(false);
    },
  );

  it('grants Local Network Access to the app only (the hospital server sits on a private address)', () => {
    const { appSession } = openWindow();
    const answers: boolean[] = [];
    const request = appSession.handlers.permissionRequest as unknown as (...args: unknown[]) => void;
    request({}, 'local-network-access', (answer: boolean) => answers.push(answer), { requestingUrl: 'app://reading-station/index.html' });
    request({}, 'local-network-access', (answer: boolean) => answers.push(answer), { requestingUrl: 'https://evil.example/' });
    expect(answers).toEqual([true, false]);
  });

  it('denies device access, screen capture and downloads', () => {
    const { appSession } = openWindow();
    expect((appSession.handlers.devicePermission as unknown as () => boolean)()).toBe(false);
    const streams: unknown[] = [];
    (appSession.handlers.displayMedia as unknown as (request: unknown, callback: (s: unknown) => void) => void)({}, (s) => streams.push(s));
    expect(streams).toEqual([null]);
    let prevented = false;
    appSession.emit('will-download', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
  });

  it('prepares the shared session once when a second window opens', () => {
    const { appSession } = openWindow();
    // The stand-in throws on a second protocol registration, as Electron does.
    expect(() => createMainWindow({ preloadPath: '/p.js', handleAppRequest, devTools: false })).not.toThrow();
    expect(appSession.protocols.size).toBe(1);
  });
});

describe('hardenWebContents', () => {
  it('guards any web contents, not only the main window', () => {
    const contents = new electron.FakeWebContents();
    hardenWebContents(contents as unknown as Parameters<typeof hardenWebContents>[0]);
    expect(attempt(contents, 'will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
  });
});
