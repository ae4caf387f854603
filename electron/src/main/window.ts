import { BrowserWindow, session as electronSession, type Session, type WebContents, type WebPreferences } from 'electron';
import { APP_ENTRY_URL, APP_SCHEME, isAppUrl } from './app-origin.ts';

/**
 * The one factory for app windows, and the guards every web contents gets. Follows Electron's
 * security checklist: isolated, sandboxed, no Node in the page, web security on, navigation and
 * new windows confined to the app, every permission request refused, the renderer served only
 * by the app protocol (app-protocol.ts) with its CSP header.
 */

/** The app's own persistent session, so no other code's defaults or handlers leak into it. */
export const APP_PARTITION = 'persist:reading-station';

/**
 * Local Network Access (Chromium) asks permission before a page fetches a private or loopback
 * address — which is where a hospital's server is. Granted to the app's own pages only; the CSP
 * (`connect-src`) already limits those fetches to the configured server.
 */
const LOCAL_NETWORK_PERMISSIONS = new Set<string>(['local-network-access', 'local-network', 'loopback-network']);

export interface MainWindowOptions {
  /** Absolute path of the built preload (dist/preload/preload.js). */
  preloadPath: string;
  /** Serves app://reading-station/ (createAppRequestHandler). */
  handleAppRequest: (request: Request) => Promise<Response>;
  /** Dev tools only in unpackaged runs. */
  devTools: boolean;
  /** Keep window content out of screenshots and screen sharing (patient data), where the OS supports it. */
  contentProtection?: boolean;
}

export function secureWebPreferences(preloadPath: string, appSession: Session, devTools: boolean): WebPreferences {
  return {
    preload: preloadPath,
    session: appSession,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools,
  };
}

/** Whether a permission may be granted: only Local Network Access, only to the app's pages. */
export function isPermissionAllowed(permission: string, requestingUrl: string | undefined): boolean {
  return LOCAL_NETWORK_PERMISSIONS.has(permission) && isAppUrl(requestingUrl);
}

const preparedSessions = new WeakSet<Session>();

/** Permission, download and protocol set-up of the app's session (once per session). */
export function prepareAppSession(appSession: Session, handleAppRequest: (request: Request) => Promise<Response>): void {
  if (preparedSessions.has(appSession)) return;
  preparedSessions.add(appSession);
  appSession.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, details.requestingUrl));
  });
  appSession.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    isPermissionAllowed(permission, details.requestingUrl ?? requestingOrigin),
  );
  appSession.setDevicePermissionHandler(() => false);
  // Calling back with null refuses the capture.
  appSession.setDisplayMediaRequestHandler((_request, callback) => callback(null));
  appSession.on('will-download', (event) => event.preventDefault());
  appSession.protocol.handle(APP_SCHEME, handleAppRequest);
}

/** Navigation and window guards; main.ts also applies them to every web contents ever created. */
export function hardenWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const appSession = electronSession.fromPartition(APP_PARTITION);
  prepareAppSession(appSession, options.handleAppRequest);
  const window = new BrowserWindow({
    title: 'Reading Station',
    width: 1600,
    height: 1000,
    minWidth: 1024,
    minHeight: 700,
    // Reading rooms are dark; avoid a white flash before the first paint.
    backgroundColor: '#000000',
    show: false,
    webPreferences: secureWebPreferences(options.preloadPath, appSession, options.devTools),
  });
  if (options.contentProtection) window.setContentProtection(true);
  hardenWebContents(window.webContents);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
