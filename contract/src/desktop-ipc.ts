import { z } from 'zod';
import { loginRequestSchema } from './auth-schemas.ts';
import type { LoginResult, ServerSettings, Session, SessionEndReason } from './reading-station-bridge.ts';

/**
 * The one IPC contract between the desktop app's preload (renderer process) and its main process.
 * Every request channel maps to `(args) => Promise<result>`; both sides are typed from this map,
 * the preload by `import type` only (a sandboxed preload cannot load this module's zod at run
 * time), the main side through electron's ipc-main.ts, which also validates the arguments with the
 * schemas below.
 *
 * Channels carry intents (log in, give me a token for the next request), never a generic secret
 * get/set: the refresh token has no channel at all.
 */

export interface IpcLoginRequest {
  username: string;
  password: string;
  serverUrl?: string | undefined;
}

export type IpcRequestChannels = {
  'rs:auth:login': (input: IpcLoginRequest) => Promise<LoginResult>;
  'rs:auth:logout': () => Promise<void>;
  'rs:session:current': () => Promise<Session | null>;
  'rs:session:access-token': () => Promise<string | null>;
  'rs:session:refresh-access-token': () => Promise<string | null>;
  'rs:settings:get-server': () => Promise<ServerSettings>;
  'rs:settings:set-server-url': (serverUrl: string) => Promise<ServerSettings>;
};

/** Main → renderer notifications; the preload turns each into a listener API with unsubscribe. */
export type IpcEventChannels = {
  'rs:session:changed': (session: Session | null, reason: SessionEndReason | undefined) => void;
};

export type IpcRequestChannel = keyof IpcRequestChannels;
export type IpcEventChannel = keyof IpcEventChannels;

/**
 * The arguments each request channel accepts, as a tuple (extra arguments are refused). The
 * `satisfies` clause fails to compile when a schema drifts from the channel map above.
 */
export const requestArgumentSchemas = {
  'rs:auth:login': z.tuple([loginRequestSchema.pick({ username: true, password: true }).extend({ serverUrl: z.string().max(2048).optional() })]),
  'rs:auth:logout': z.tuple([]),
  'rs:session:current': z.tuple([]),
  'rs:session:access-token': z.tuple([]),
  'rs:session:refresh-access-token': z.tuple([]),
  'rs:settings:get-server': z.tuple([]),
  'rs:settings:set-server-url': z.tuple([z.string().min(1).max(2048)]),
} satisfies { [C in IpcRequestChannel]: z.ZodType<Parameters<IpcRequestChannels[C]>> };

/** Every request channel that exists; nothing else is ever registered. */
export const IPC_REQUEST_CHANNELS = Object.keys(requestArgumentSchemas) as IpcRequestChannel[];
