/**
 * @reading-station/contract: what crosses a process boundary, defined once. See README.md.
 */
export * from './roles.ts';
export * from './error-codes.ts';
export * from './auth-schemas.ts';
export * from './session-renewal.ts';
export * from './auth-client.ts';
export * from './dicomweb.ts';
export * from './multipart-stream.ts';
export * from './measurements.ts';
export * from './viewer-hook.ts';
export type * from './reading-station-bridge.ts';
export * from './desktop-ipc.ts';
