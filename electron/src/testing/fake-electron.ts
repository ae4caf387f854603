/**
 * A STAND-IN FOR THE `electron` MODULE, for unit tests only.
 *
 * No Electron binary can run on the build machines (none can be downloaded there), so the
 * desktop shell's window factory, main-process wiring, IPC wrapper and preload are unit-tested
 * against this fake instead of Electron. It models only the part of Electron's API that our code
 * calls, and it records what our code asks of Electron so that a test can then drive the recorded
 * handlers the way Electron would:
 *
 * - `app`: an EventEmitter with enableSandbox, requestSingleInstanceLock (answer set by the test),
 *   whenReady (resolves at once), getPath('userData') (set by the test), getVersion, getAppPath,
 *   isPackaged, quit and exit;
 * - `BrowserWindow`: records its options and loadURL, setContentProtection, show/focus/restore,
 *   getAllWindows; its `webContents` is an EventEmitter with setWindowOpenHandler, reload, send,
 *   getURL and isDestroyed;
 * - `session.fromPartition`: one session per partition, recording the permission, device and
 *   display-media handlers and `protocol.handle` (a second handler for a scheme throws, as in
 *   Electron); `will-download` is emitted on it by the test;
 * - `protocol.registerSchemesAsPrivileged`;
 * - `ipcMain.handle`/`removeHandler` (a second handler for a channel throws, as in Electron);
 * - `ipcRenderer` (invoke, recorded and answered with `result of <channel>`; on/removeListener/emit)
 *   and `contextBridge.exposeInMainWorld`.
 *
 * Lifecycle calls are also logged in order in `calls` (e.g. `registerSchemesAsPrivileged …`,
 * `whenReady`, `protocol.handle app`, `loadURL …`).
 *
 * What tests against it prove is our configuration and our guards' decisions; that Electron
 * honours them is Electron's own test suite's job, and the Playwright Electron specs check it end
 * to end where a binary exists.
 *
 * The desktop test host's main process (desktop-host/host-electron.ts) takes its ipcMain from here
 * too. Use it from a test with:
 *
 *     const electron = await vi.hoisted(async () => (await import('../testing/fake-electron.ts')).createFakeElectron());
 *     vi.mock('electron', () => electron.module);
 */
import { EventEmitter } from 'node:events';

type Listener = (...args: never[]) => unknown;
type IpcMainHandler = (event: unknown, ...args: unknown[]) => Promise<unknown>;
type AppRequestHandler = (request: Request) => Promise<Response>;

export function createFakeElectron() {
  const calls: string[] = [];
  const windows: FakeBrowserWindow[] = [];
  const sessions = new Map<string, FakeSession>();
  const ipcMainHandlers = new Map<string, IpcMainHandler>();
  const exposedInMainWorld = new Map<string, unknown>();
  const ipcRendererInvocations: Array<{ channel: string; args: unknown[] }> = [];
  /** What the test wants the app to answer. */
  const appState = { singleInstanceLock: true, userDataPath: '/nonexistent/user-data', isPackaged: true };

  class FakeWebContents extends EventEmitter {
    url = '';
    reloads = 0;
    sent: Array<{ channel: string; args: unknown[] }> = [];
    destroyed = false;
    windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      this.windowOpenHandler = handler;
    }
    reload() {
      this.reloads += 1;
    }
    getURL() {
      return this.url;
    }
    isDestroyed() {
      return this.destroyed;
    }
    send(channel: string, ...args: unknown[]) {
      this.sent.push({ channel, args });
    }
  }

  class FakeSession extends EventEmitter {
    readonly partition: string;
    /** The permission, device and display-media handlers, by what they handle. */
    handlers: Record<'permissionRequest' | 'permissionCheck' | 'devicePermission' | 'displayMedia', Listener | undefined> = {
      permissionRequest: undefined,
      permissionCheck: undefined,
      devicePermission: undefined,
      displayMedia: undefined,
    };
    protocols = new Map<string, AppRequestHandler>();
    protocol = {
      handle: (scheme: string, handler: AppRequestHandler) => {
        calls.push(`protocol.handle ${scheme}`);
        if (this.protocols.has(scheme)) throw new Error(`scheme ${scheme} handled twice`);
        this.protocols.set(scheme, handler);
      },
    };
    constructor(partition: string) {
      super();
      this.partition = partition;
    }
    setPermissionRequestHandler(handler: Listener) {
      this.handlers.permissionRequest = handler;
    }
    setPermissionCheckHandler(handler: Listener) {
      this.handlers.permissionCheck = handler;
    }
    setDevicePermissionHandler(handler: Listener) {
      this.handlers.devicePermission = handler;
    }
    setDisplayMediaRequestHandler(handler: Listener) {
      this.handlers.displayMedia = handler;
    }
    async clearCache() {
      calls.push(`clearCache ${this.partition}`);
    }
    async clearStorageData() {
      calls.push(`clearStorageData ${this.partition}`);
    }
  }

  interface WindowOptions extends Record<string, unknown> {
    webPreferences: Record<string, unknown> & { preload?: string };
  }

  class FakeBrowserWindow extends EventEmitter {
    options: WindowOptions;
    webContents = new FakeWebContents();
    loadedUrl: string | undefined;
    contentProtection = false;
    visible = false;
    minimized = false;
    focused = false;
    constructor(options: WindowOptions) {
      super();
      this.options = options;
      windows.push(this);
    }
    static getAllWindows() {
      return [...windows];
    }
    loadURL(url: string) {
      calls.push(`loadURL ${url}`);
      this.loadedUrl = url;
      this.webContents.url = url;
      return Promise.resolve();
    }
    setContentProtection(on: boolean) {
      this.contentProtection = on;
    }
    show() {
      this.visible = true;
    }
    isMinimized() {
      return this.minimized;
    }
    restore() {
      this.minimized = false;
    }
    focus() {
      this.focused = true;
    }
  }

  const app = Object.assign(new EventEmitter(), {
    enableSandbox: () => {
      calls.push('enableSandbox');
    },
    requestSingleInstanceLock: () => {
      calls.push('requestSingleInstanceLock');
      return appState.singleInstanceLock;
    },
    whenReady: () => {
      calls.push('whenReady');
      return Promise.resolve();
    },
    getPath: (name: string) => (name === 'userData' ? appState.userDataPath : `/nonexistent/${name}`),
    getVersion: () => '0.1.0',
    getAppPath: () => '/opt/reading-station/resources/app.asar',
    get isPackaged() {
      return appState.isPackaged;
    },
    quit: () => {
      calls.push('quit');
    },
    exit: (code: number) => {
      calls.push(`exit ${code}`);
    },
  });

  const ipcRenderer = Object.assign(new EventEmitter(), {
    invoke: (channel: string, ...args: unknown[]) => {
      ipcRendererInvocations.push({ channel, args });
      return Promise.resolve(`result of ${channel}`);
    },
  });

  const module = {
    app,
    BrowserWindow: FakeBrowserWindow,
    session: {
      fromPartition: (partition: string) => {
        let found = sessions.get(partition);
        if (!found) sessions.set(partition, (found = new FakeSession(partition)));
        return found;
      },
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) => {
        calls.push(`registerSchemesAsPrivileged ${JSON.stringify(schemes)}`);
      },
    },
    ipcMain: {
      handle: (channel: string, handler: IpcMainHandler) => {
        if (ipcMainHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
        ipcMainHandlers.set(channel, handler);
      },
      removeHandler: (channel: string) => {
        ipcMainHandlers.delete(channel);
      },
    },
    ipcRenderer,
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => {
        exposedInMainWorld.set(key, api);
      },
    },
  };

  return {
    /** What `import … from 'electron'` gives the code under test (`vi.mock('electron', () => fake.module)`). */
    module,
    /** Lifecycle calls, in order. */
    calls,
    windows,
    sessions,
    ipcMainHandlers,
    exposedInMainWorld,
    ipcRendererInvocations,
    appState,
    FakeWebContents,
    /** Forgets every window, session, handler, listener and call, and restores the app's answers. */
    reset() {
      calls.length = 0;
      windows.length = 0;
      sessions.clear();
      ipcMainHandlers.clear();
      exposedInMainWorld.clear();
      ipcRendererInvocations.length = 0;
      app.removeAllListeners();
      ipcRenderer.removeAllListeners();
      Object.assign(appState, { singleInstanceLock: true, userDataPath: '/nonexistent/user-data', isPackaged: true });
    },
  };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
