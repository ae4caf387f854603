import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ReadingStationBridge, Session, SessionEndReason } from '../bridge/bridge-contract.ts';
import { LoginScreen } from '../login/LoginScreen.tsx';
import { StudyViewer } from '../viewer/StudyViewer.tsx';
import { WorklistScreen } from '../worklist/WorklistScreen.tsx';
import { AppHeader } from './AppHeader.tsx';
import { useRoute } from './routes.ts';
import { SessionContext, type SessionContextValue } from './session-context.ts';

type SessionState = { status: 'restoring' } | { status: 'signed-out'; endReason: SessionEndReason | null } | { status: 'signed-in'; session: Session };

export function App({ bridge }: { bridge: ReadingStationBridge }) {
  const [state, setState] = useState<SessionState>({ status: 'restoring' });
  const route = useRoute();
  const stateRef = useRef(state);
  stateRef.current = state;

  useEffect(() => {
    let active = true;
    const unsubscribe = bridge.onSessionChange((session, reason) => {
      setState(session ? { status: 'signed-in', session } : { status: 'signed-out', endReason: reason && reason !== 'logout' ? reason : null });
    });
    bridge
      .currentSession()
      .then((session) => {
        if (active) setState((s) => (s.status === 'restoring' ? (session ? { status: 'signed-in', session } : { status: 'signed-out', endReason: null }) : s));
      })
      .catch(() => {
        if (active) setState({ status: 'signed-out', endReason: null });
      });
    return () => {
      active = false;
      unsubscribe();
    };
  }, [bridge]);

  const endSession = useCallback(
    (reason: SessionEndReason) => {
      // The bridge may already have ended it (a refused renewal) and said why; keep that reason.
      if (stateRef.current.status !== 'signed-in') return;
      setState({ status: 'signed-out', endReason: reason });
      // The server already refused this session; tell the host so it forgets it too.
      void bridge.logout().then(() => setState({ status: 'signed-out', endReason: reason }));
    },
    [bridge],
  );

  const context = useMemo<SessionContextValue | null>(
    () => (state.status === 'signed-in' ? { bridge, session: state.session, endSession } : null),
    [bridge, state, endSession],
  );

  if (state.status === 'restoring') {
    return (
      <main className="splash" aria-busy="true">
        <p>Reading Station is starting…</p>
      </main>
    );
  }
  if (!context) {
    return <LoginScreen bridge={bridge} endReason={state.status === 'signed-out' ? state.endReason : null} />;
  }
  return (
    <SessionContext.Provider value={context}>
      <div className="app-shell">
        <AppHeader />
        {route.name === 'study' ? <StudyViewer key={route.studyInstanceUid} studyInstanceUid={route.studyInstanceUid} /> : <WorklistScreen />}
      </div>
    </SessionContext.Provider>
  );
}
