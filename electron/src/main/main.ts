import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, protocol, session as electronSession } from 'electron';
import { registerIpcHandlers, sendIpcEvent } from '../ipc/ipc-main.ts';
import { createDesktopAuthApi } from '../services/auth-api.ts';
import { KeytarTokenVault } from '../services/keytar-token-vault.ts';
import { ServerSettingsStore } from '../services/server-settings-store.ts';
import { SessionService } from '../services/session-service.ts';
import { APP_SCHEME } from './app-origin.ts';
import { createAppRequestHandler } from './app-protocol.ts';
import { buildContentSecurityPolicy } from './content-security-policy.ts';
import { sessionIpcHandlers } from './ipc-handlers.ts';
import { trackPageServer } from './page-server.ts';
import { APP_PARTITION, createMainWindow, hardenWebContents } from './window.ts';

/*
 * The main process: lifecycle and wiring only. What the app does lives in services/ (plain Node,
 * tested against the real server and keychain); how windows are locked down lives in window.ts.
 */

const here = dirname(fileURLToPath(import.meta.url));
const log = (message: string) => console.warn(`[reading-station] ${message}`);

// Must happen before `ready`: a standard, secure scheme gets a real origin, fetch and workers.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);
// Every renderer sandboxed, including any a future change forgets to configure.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the session and the keychain entry; it is focused instead.
  app.quit();
} else {
  let mainWindow: BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  // No tray or background mode: closing the window ends the app (the session stays in the keychain).
  app.on('window-all-closed', () => app.quit());

  app
    .whenReady()
    .then(async () => {
      const settings = new ServerSettingsStore(app.getPath('userData'));
      const sessions = new SessionService({
        vault: new KeytarTokenVault(),
        // The window's partition: its HTTP cache and storage are emptied when a session ends.
        partition: electronSession.fromPartition(APP_PARTITION),
        settings,
        createAuthApi: (serverUrl) => createDesktopAuthApi(serverUrl, { userAgent: `ReadingStation/${app.getVersion()} (${process.platform}; desktop)` }),
        onWarning: log,
      });
      void sessions.start();
      app.on('before-quit', () => sessions.dispose());

      // The CSP names the server the page was loaded for; when it changes, the page reloads.
      const pageServer = trackPageServer(sessions, await settings.getServerUrl().catch(() => null), () => mainWindow?.webContents.reload());

      registerIpcHandlers(sessionIpcHandlers(sessions, { serverMayHaveChanged: pageServer.serverMayHaveChanged }), { onRefused: (channel, reason) => log(`IPC ${channel} refused: ${reason}`) });
      sessions.onChange((session, reason) => {
        if (!pageServer.deliversSession(session)) return;
        for (const window of BrowserWindow.getAllWindows()) sendIpcEvent(window.webContents, 'rs:session:changed', session, reason);
      });

      // Packaged: app.asar/renderer (electron-builder.yml). From the repository: ../renderer/dist.
      const rendererDir = app.isPackaged ? join(app.getAppPath(), 'renderer') : join(app.getAppPath(), '..', 'renderer', 'dist');
      mainWindow = createMainWindow({
        preloadPath: join(here, '..', 'preload', 'preload.js'),
        handleAppRequest: createAppRequestHandler({ rendererDir, contentSecurityPolicy: () => buildContentSecurityPolicy(pageServer.current()) }),
        devTools: !app.isPackaged,
      });
      mainWindow.on('closed', () => {
        mainWindow = null;
      });
    })
    .catch((error: unknown) => {
      log(`could not start: ${error instanceof Error ? error.message : String(error)}`);
      app.exit(1);
    });
}
