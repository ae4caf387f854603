import { createContext, useContext } from 'react';
import type { ReadingStationBridge, Session, SessionEndReason } from '../bridge/bridge-contract.ts';

export interface SessionContextValue {
  bridge: ReadingStationBridge;
  session: Session;
  /** A request found the session over (401 after one renewal): back to the login screen. */
  endSession(reason: SessionEndReason): void;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in screen');
  return value;
}
