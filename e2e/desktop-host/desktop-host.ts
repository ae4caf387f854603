/**
 * THE DESKTOP APP IN CHROMIUM, FOR TESTS: where no Electron binary exists (none can be downloaded
 * on these machines), the desktop specs run against this host. Only Electron's transport is
 * replaced; everything the desktop app does is its own code:
 *
 * - The page is the renderer's production build (`renderer/dist`), served by the desktop's own
 *   `createAppRequestHandler` with the CSP from `buildContentSecurityPolicy` (naming the server the
 *   page was loaded for), through Playwright routing.
 * - `window.readingStation` is made by the desktop's preload.ts itself, transpiled as the build
 *   does, run in the page before any page script with a stand-in `electron` module whose
 *   `contextBridge.exposeInMainWorld` defines the global and whose `ipcRenderer` sends each
 *   invocation to the host's main process through a Playwright binding, with the calling frame's
 *   URL.
 * - The host's main process (electron/src/testing/desktop-host/host-main-process.ts, a child
 *   process per app start) registers the handlers with ipc-main.ts's `registerIpcHandlers` (the
 *   same sender and argument checks) over the real `sessionIpcHandlers`, `SessionService`,
 *   `KeytarTokenVault` (on the D-Bus session the test chose) and `ServerSettingsStore` (in the
 *   test's user-data directory); `rs:session:changed` comes back through `sendIpcEvent` and is
 *   delivered to the preload's listeners; a server change reloads the page, as in main.ts.
 *
 * Differences from Electron, and why:
 * - Origin. Chromium does not let Playwright route a custom scheme (a navigation to
 *   `app://reading-station/` is aborted before any request exists), so the page lives at
 *   `https://reading-station` — the app's host name on a secure scheme, never resolved (every
 *   request to it is routed). Each such URL is handed to the desktop's code as the same path on
 *   `app://reading-station`: the app request handler serves it, and the IPC sender check sees it
 *   as the app's frame; a frame of any other origin reaches the sender check as it is and is
 *   refused.
 * - CORS. The gate's nginx allows cross-origin calls from `app://reading-station` only. The page's
 *   cross-origin requests (its CSP has already let them through) are therefore sent on by the host
 *   with `Origin: app://reading-station`, and an `Access-Control-Allow-Origin` naming that origin
 *   is handed back to the page as its own: nginx still decides, the browser still enforces.
 * - The page's preload globals: besides `window.readingStation` the page has the binding
 *   `__readingStationHostInvoke` (the IPC pipe) and `__readingStationHostEmit` (events); neither
 *   carries anything the bridge does not.
 * - Storage: one browser context plays the app's persistent session partition, so a "restart" is
 *   a new page and a new main process over the same storage, keychain and settings. When the
 *   session service empties the partition (Electron: `clearCache()`, `clearStorageData()`), the
 *   host empties the context over the DevTools protocol: `Network.clearBrowserCache`, and
 *   `Storage.clearDataForOrigin` (every storage type) for the app's origin and the server's, with
 *   `Network.clearBrowserCookies`. (Routing, which the host needs, already keeps Chromium's HTTP
 *   cache out of the way; the storage is where a page leaves something behind.)
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { BrowserContext, Page, Request as PlaywrightRequest, Route } from '@playwright/test';
import {
  APP_HOST,
  APP_ORIGIN,
  HOST_MAIN_PROCESS,
  buildContentSecurityPolicy,
  createAppRequestHandler,
  transpilePreload,
  type HostInbound,
  type HostOutbound,
} from '@reading-station/electron/desktop-host';

/** Where the host serves the app (Chromium routes no custom scheme; see the header). */
export const HOST_ORIGIN = `https://${APP_HOST}`;
export const HOST_ENTRY_URL = `${HOST_ORIGIN}/index.html`;

/** A page URL of the host's origin as the desktop's code knows it (app://…); any other URL unchanged. */
export function toAppUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.origin !== HOST_ORIGIN) return url;
  return `${APP_ORIGIN}${parsed.pathname}${parsed.search}${parsed.hash}`;
}

export interface DesktopHostOptions {
  /** The browser context that plays the app's session partition; one host per context. */
  context: BrowserContext;
  /** The built renderer (the directory holding index.html). */
  rendererDir: string;
  /** The app's user-data directory (settings.json). */
  userDataDir: string;
  /** The keychain's D-Bus session; null for none at all (no Secret Service). */
  busAddress: string | null;
  /** A certificate the main process trusts beside the usual CAs (a test stack's self-signed one). */
  extraCaCertificateFile?: string | undefined;
}

/** The page-side transport: the preload runs as in Electron, with a stand-in `electron` module. */
function preloadInitScript(preloadSource: string): string {
  return `(() => {
  if (window.top !== window || location.origin !== ${JSON.stringify(HOST_ORIGIN)}) return;
  const listeners = new Map();
  const ipcRenderer = {
    invoke: (channel, ...args) => globalThis.__readingStationHostInvoke(channel, args),
    on(channel, listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel).add(listener);
      return ipcRenderer;
    },
    removeListener(channel, listener) {
      listeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
  };
  const contextBridge = {
    exposeInMainWorld(key, api) {
      Object.defineProperty(window, key, { value: Object.freeze({ ...api }), enumerable: true });
    },
  };
  Object.defineProperty(window, '__readingStationHostEmit', {
    value: (channel, args) => {
      for (const listener of [...(listeners.get(channel) ?? [])]) listener({ sender: ipcRenderer }, ...args);
    },
  });
  const require = (name) => {
    if (name === 'electron') return { contextBridge, ipcRenderer };
    throw new Error('a sandboxed preload cannot require ' + name);
  };
  const module = { exports: {} };
  (function (require, module, exports) {
${preloadSource}
  })(require, module, module.exports);
})();`;
}

const contexts = new WeakMap<BrowserContext, ChromiumDesktopHost>();

export class ChromiumDesktopHost {
  readonly #options: DesktopHostOptions;
  readonly #handleAppRequest: (request: Request) => Promise<Response>;
  #child: ChildProcess | null = null;
  #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #pageServerUrl: string | null = null;
  /** What the host's main processes wrote (stdout and stderr), across restarts. */
  readonly logs: string[] = [];
  /** The channels the current main process registered handlers for. */
  channels: string[] = [];
  /** What the session service had emptied, in order ('cache', 'storage'), across restarts. */
  readonly browsingDataClears: Array<'cache' | 'storage'> = [];
  /** The app's window; replaced by restart(). */
  page!: Page;

  private constructor(options: DesktopHostOptions) {
    this.#options = options;
    this.#handleAppRequest = createAppRequestHandler({
      rendererDir: options.rendererDir,
      contentSecurityPolicy: () => buildContentSecurityPolicy(this.#pageServerUrl),
    });
  }

  /** Starts the app: routing and the preload in the context, the main process, the window. */
  static async launch(options: DesktopHostOptions): Promise<ChromiumDesktopHost> {
    if (contexts.has(options.context)) throw new Error('one desktop host per browser context');
    const host = new ChromiumDesktopHost(options);
    contexts.set(options.context, host);
    const { context } = options;
    await context.route('**/*', (route, request) => host.#route(route, request));
    await context.exposeBinding('__readingStationHostInvoke', (source, channel: unknown, args: unknown) =>
      host.#invoke(toAppUrl(source.frame.url()), String(channel), Array.isArray(args) ? args : []),
    );
    await context.addInitScript({ content: preloadInitScript(transpilePreload()) });
    await host.#start();
    return host;
  }

  /** The app quits (the session stays in the keychain) and starts again over the same data. */
  async restart(): Promise<Page> {
    await this.quit();
    await this.#start();
    return this.page;
  }

  /** Closes the window and ends the main process, as quitting the app does. */
  async quit(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (this.page && !this.page.isClosed()) await this.page.close();
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.send({ type: 'quit' } satisfies HostInbound);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async #start(): Promise<void> {
    const env: Record<string, string> = { RS_HOST_USER_DATA: this.#options.userDataDir };
    // Only what the app needs from the environment. No DISPLAY: without a bus address libsecret
    // must find no Secret Service, not autolaunch one.
    for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    if (this.#options.busAddress) env.DBUS_SESSION_BUS_ADDRESS = this.#options.busAddress;
    if (this.#options.extraCaCertificateFile) env.NODE_EXTRA_CA_CERTS = this.#options.extraCaCertificateFile;
    const child = fork(HOST_MAIN_PROCESS, [], { env, execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    this.#child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.logs.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.logs.push(chunk.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the desktop host's main process did not start in 30 s:\n${this.logs.join('')}`)), 30_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the desktop host's main process exited with ${code}:\n${this.logs.join('')}`));
      });
      child.on('message', (message: HostOutbound) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          this.channels = message.channels;
          this.#pageServerUrl = message.pageServerUrl;
          resolve();
        }
        this.#onMessage(child, message);
      });
    });
    child.on('exit', () => {
      for (const { reject } of this.#pending.values()) reject(new Error('the desktop app quit'));
      this.#pending.clear();
    });
    await ready;

    const page = await this.#options.context.newPage();
    this.page = page;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame() && this.#child === child) child.send({ type: 'page', url: toAppUrl(frame.url()) } satisfies HostInbound);
    });
    await page.goto(HOST_ENTRY_URL);
  }

  #onMessage(child: ChildProcess, message: HostOutbound): void {
    if (message.type === 'result') {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(new Error(message.message));
    } else if (message.type === 'event') {
      if (this.#child !== child || this.page.isClosed()) return;
      void this.page
        .evaluate(([channel, args]) => (globalThis as { __readingStationHostEmit?: (c: string, a: unknown[]) => void }).__readingStationHostEmit?.(channel, args), [message.channel, message.args] as const)
        .catch(() => undefined);
    } else if (message.type === 'reload') {
      this.#pageServerUrl = message.pageServerUrl;
      if (this.#child === child && !this.page.isClosed()) void this.page.reload().catch(() => undefined);
    } else if (message.type === 'clear-browsing-data') {
      const answer = (reply: HostInbound) => {
        if (child.connected) child.send(reply);
      };
      void this.#clearBrowsingData(message.what).then(
        () => answer({ type: 'browsing-data-cleared', id: message.id, ok: true }),
        (error: unknown) => answer({ type: 'browsing-data-cleared', id: message.id, ok: false, message: error instanceof Error ? error.message : String(error) }),
      );
    }
  }

  /** Empties the context's HTTP cache or its storage, as Electron's session methods do. */
  async #clearBrowsingData(what: 'cache' | 'storage'): Promise<void> {
    const page = this.page.isClosed() ? await this.#options.context.newPage() : this.page;
    const cdp = await this.#options.context.newCDPSession(page);
    try {
      if (what === 'cache') {
        await cdp.send('Network.clearBrowserCache');
      } else {
        const origins = new Set([HOST_ORIGIN, ...(this.#pageServerUrl ? [new URL(this.#pageServerUrl).origin] : [])]);
        for (const origin of origins) await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' });
        await cdp.send('Network.clearBrowserCookies');
      }
      this.browsingDataClears.push(what);
    } finally {
      await cdp.detach().catch(() => undefined);
      if (page !== this.page) await page.close().catch(() => undefined);
    }
  }

  #invoke(frameUrl: string, channel: string, args: unknown[]): Promise<unknown> {
    const child = this.#child;
    if (!child?.connected) return Promise.reject(new Error('the desktop app is not running'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      child.send({ type: 'invoke', id, channel, frameUrl, args } satisfies HostInbound);
    });
  }

  async #route(route: Route, request: PlaywrightRequest): Promise<void> {
    if (new URL(request.url()).origin === HOST_ORIGIN) {
      const response = await this.#handleAppRequest(new Request(toAppUrl(request.url()), { method: request.method() }));
      await route.fulfill({ status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.from(await response.arrayBuffer()) });
      return;
    }
    const headers = await request.allHeaders();
    if (headers.origin !== HOST_ORIGIN) {
      await route.continue();
      return;
    }
    // A cross-origin call of the app's page: as the desktop app's origin makes it (see the header).
    const response = await route.fetch({ headers: { ...headers, origin: APP_ORIGIN }, maxRedirects: 0 });
    const responseHeaders = response.headers();
    if (responseHeaders['access-control-allow-origin'] === APP_ORIGIN) responseHeaders['access-control-allow-origin'] = HOST_ORIGIN;
    await route.fulfill({ response, headers: responseHeaders });
  }
}
