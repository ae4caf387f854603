/**
 * Hash routes: the same build runs from nginx at `/` and from the desktop app's own scheme, where
 * only the fragment is ours to change. `#/studies/<StudyInstanceUID>` opens a study.
 */
import { useEffect, useState } from 'react';

export type Route = { name: 'worklist' } | { name: 'study'; studyInstanceUid: string };

const STUDY_ROUTE = /^#\/studies\/([0-9.]{1,64})\/?$/;

export function parseRoute(hash: string): Route {
  const study = STUDY_ROUTE.exec(hash);
  if (study?.[1]) return { name: 'study', studyInstanceUid: study[1] };
  return { name: 'worklist' };
}

export function routeHash(route: Route): string {
  return route.name === 'study' ? `#/studies/${route.studyInstanceUid}` : '#/worklist';
}

export function navigate(route: Route): void {
  window.location.hash = routeHash(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
