/**
 * The `electron` module as the desktop test host's main process sees it (host-main-process.ts
 * resolves the specifier `electron` here). ipc-main.ts needs only `ipcMain` at run time; this is
 * the shared stand-in's (../fake-electron.ts), which keeps the handlers ipc-main.ts registers and
 * refuses a second handler for a channel as Electron does, so the host calls exactly what
 * ipc-main.ts registered (sender and argument checks included).
 */
import { createFakeElectron } from '../fake-electron.ts';

const electron = createFakeElectron();

export const registeredHandlers = electron.ipcMainHandlers;

export const ipcMain = electron.module.ipcMain;
