import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { isAppUrl } from '../main/app-origin.ts';
import {
  IPC_REQUEST_CHANNELS,
  requestArgumentSchemas,
  type IpcEventChannel,
  type IpcEventChannels,
  type IpcRequestChannel,
  type IpcRequestChannels,
} from '@reading-station/contract';

/**
 * The only module that touches `ipcMain` (a unit test enforces it). Before any handler runs, the
 * sender frame must be a page of the app's own origin and the arguments must match the channel's
 * schema; otherwise the call is refused with an error that names the channel and never echoes
 * the arguments (they may hold a password).
 */

export type IpcRequestHandlers = {
  [C in IpcRequestChannel]: (...args: Parameters<IpcRequestChannels[C]>) => ReturnType<IpcRequestChannels[C]>;
};

export class IpcRefusedError extends Error {
  override readonly name = 'IpcRefusedError';
}

export interface RegisterOptions {
  /** Told about each refused call (for the log); never given the arguments. */
  onRefused?: (channel: string, reason: string) => void;
}

/** Checks one invocation; returns the parsed arguments or throws IpcRefusedError. */
export function admitInvocation<C extends IpcRequestChannel>(channel: C, event: Pick<IpcMainInvokeEvent, 'senderFrame'>, args: unknown[]): Parameters<IpcRequestChannels[C]> {
  // senderFrame is null when the frame navigated away or was destroyed: then there is no page
  // whose origin we could vouch for.
  const frameUrl = event.senderFrame?.url;
  if (!isAppUrl(frameUrl)) {
    throw new IpcRefusedError(`${channel}: refused a call from a frame outside the app (${describeOrigin(frameUrl)})`);
  }
  const parsed = requestArgumentSchemas[channel].safeParse(args);
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(arguments)').join(', ');
    throw new IpcRefusedError(`${channel}: malformed arguments at ${where}`);
  }
  return parsed.data as Parameters<IpcRequestChannels[C]>;
}

/**
 * Registers a handler for every channel of the contract and for nothing else; returns a function
 * that removes them (tests, and a clean quit).
 */
export function registerIpcHandlers(handlers: IpcRequestHandlers, options: RegisterOptions = {}): () => void {
  for (const channel of IPC_REQUEST_CHANNELS) {
    const handler = handlers[channel] as (...args: unknown[]) => Promise<unknown>;
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      let admitted: unknown[];
      try {
        admitted = admitInvocation(channel, event, args);
      } catch (error) {
        options.onRefused?.(channel, error instanceof Error ? error.message : 'refused');
        throw error;
      }
      return handler(...admitted);
    });
  }
  return () => {
    for (const channel of IPC_REQUEST_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** Sends a typed notification to a renderer, if it is still there and showing the app. */
export function sendIpcEvent<C extends IpcEventChannel>(contents: WebContents, channel: C, ...args: Parameters<IpcEventChannels[C]>): void {
  if (contents.isDestroyed() || !isAppUrl(contents.getURL())) return;
  contents.send(channel, ...args);
}

function describeOrigin(url: string | undefined): string {
  if (!url) return 'no frame';
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'unparseable URL';
  }
}
