/**
 * The host contract, imported as types only: the renderer bundles none of the desktop code, and
 * the desktop preload and the web bridge both implement this one interface.
 */
export type {
  LoginErrorCode,
  LoginResult,
  ReadingStationBridge,
  Role,
  ServerSettings,
  Session,
  SessionEndReason,
  SessionUser,
} from '@reading-station/contract';
