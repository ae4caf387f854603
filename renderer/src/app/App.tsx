import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ReadingStationBridge, SessionEndReason } from '../bridge/bridge-contract.ts';
import { LoginScreen } from '../login/LoginScreen.tsx';
import { StudyViewer } from '../viewer/StudyViewer.tsx';
import { WorklistScreen } from '../worklist/WorklistScreen.tsx';
import { AppHeader } from './AppHeader.tsx';
import { forgetStudyData, resumeResourceTimings } from './forget-study-data.ts';
import { beginRouteOwnership, endRouteOwnership, useRoute } from './routes.ts';
import { sessionChange, sessionOwner, type SessionState } from './session-change.ts';
import { SessionContext, type SessionContextValue } from './session-context.ts';

export function App({ bridge }: { bridge: ReadingStationBridge }) {
  const [state, setState] = useState<SessionState>({ status: 'restoring' });
  const stateRef = useRef(state);
  /** Set when a session ended: its study data is dropped once its screens have unmounted. */
  const forgetPending = useRef(false);

  // Every change of session goes through here, so none can skip the clean-up. The route changes
  // at once (the next screens must not even start on the previous user's study); Cornerstone's
  // memory is dropped after the commit that unmounted the viewer using it.
  const changeSession = useCallback((next: SessionState) => {
    const change = sessionChange(stateRef.current, next);
    if (change === 'ended' || change === 'switched') {
      endRouteOwnership();
      forgetPending.current = true;
    }
    if (change === 'signed-in' || change === 'switched') beginRouteOwnership(false);
    if (change === 'restored') beginRouteOwnership(true);
    if (change === 'signed-in' || change === 'restored') resumeResourceTimings();
    stateRef.current = next;
    setState(next);
  }, []);

  useEffect(() => {
    if (!forgetPending.current) return;
    forgetPending.current = false;
    forgetStudyData();
    if (stateRef.current.status === 'signed-in') resumeResourceTimings();
  });

  useEffect(() => {
    let active = true;
    const unsubscribe = bridge.onSessionChange((session, reason) => {
      changeSession(session ? { status: 'signed-in', session } : { status: 'signed-out', endReason: reason && reason !== 'logout' ? reason : null });
    });
    bridge
      .currentSession()
      .then((session) => {
        if (active && stateRef.current.status === 'restoring') changeSession(session ? { status: 'signed-in', session } : { status: 'signed-out', endReason: null });
      })
      .catch(() => {
        if (active) changeSession({ status: 'signed-out', endReason: null });
      });
    return () => {
      active = false;
      unsubscribe();
    };
  }, [bridge, changeSession]);

  const endSession = useCallback(
    (reason: SessionEndReason) => {
      // The bridge may already have ended it (a refused renewal) and said why; keep that reason.
      if (stateRef.current.status !== 'signed-in') return;
      changeSession({ status: 'signed-out', endReason: reason });
      // The server already refused this session; tell the host so it forgets it too.
      void bridge.logout().then(() => changeSession({ status: 'signed-out', endReason: reason }));
    },
    [bridge, changeSession],
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
      {/* Keyed by who is signed in: another user's session mounts every screen afresh. */}
      <SignedInShell key={sessionOwner(state) ?? ''} />
    </SessionContext.Provider>
  );
}

/** The signed-in screens. What they remember across routes (the worklist's search) lives here, in memory only. */
function SignedInShell() {
  const route = useRoute();
  const [worklistSearch, setWorklistSearch] = useState('');
  return (
    <div className="app-shell">
      <AppHeader />
      {route.name === 'study' ? (
        <StudyViewer key={route.studyInstanceUid} studyInstanceUid={route.studyInstanceUid} />
      ) : (
        <WorklistScreen search={worklistSearch} onSearchChange={setWorklistSearch} />
      )}
    </div>
  );
}
