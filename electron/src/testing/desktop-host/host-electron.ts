/**
 * The `electron` module as the desktop test host's main process sees it (host-main-process.ts
 * resolves the specifier `electron` here). ipc-main.ts needs only `ipcMain` at run time; this one
 * keeps the handlers it registers, refusing a second handler for a channel as Electron does, so
 * the host calls exactly what ipc-main.ts registered (sender and argument checks included).
 */
type IpcMainHandler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>;

export const registeredHandlers = new Map<string, IpcMainHandler>();

export const ipcMain = {
  handle(channel: string, handler: IpcMainHandler): void {
    if (registeredHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    registeredHandlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    registeredHandlers.delete(channel);
  },
};
