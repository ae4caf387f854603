/**
 * Hash routes: the same build runs from nginx at `/` and from the desktop app's own scheme, where
 * only the fragment is ours to change. `#/studies/<StudyInstanceUID>` opens a study.
 *
 * Every history entry the app makes carries the sign-in it was made in (`{ owner }`). After a
 * sign-out or a user switch in the same tab, Back would otherwise walk into the previous user's
 * studies: an entry made in another sign-in is replaced by the worklist instead of being opened.
 */
import { useEffect, useState } from 'react';

export type Route = { name: 'worklist' } | { name: 'study'; studyInstanceUid: string };

const STUDY_ROUTE = /^#\/studies\/([0-9.]{1,64})\/?$/;
/** Fired after the app changes the route itself (pushState and replaceState fire no event). */
const ROUTE_CHANGE = 'reading-station:route';

/** The sign-in whose history entries may be followed; null while nobody is signed in. */
let owner: string | null = null;

export function parseRoute(hash: string): Route {
  const study = STUDY_ROUTE.exec(hash);
  if (study?.[1]) return { name: 'study', studyInstanceUid: study[1] };
  return { name: 'worklist' };
}

export function routeHash(route: Route): string {
  return route.name === 'study' ? `#/studies/${route.studyInstanceUid}` : '#/worklist';
}

/** Whether a history entry's state was written in a sign-in other than the current one. */
export function madeInAnotherSignIn(state: unknown, currentOwner: string | null): boolean {
  if (typeof state !== 'object' || state === null || !('owner' in state)) return false;
  return (state as { owner: unknown }).owner !== currentOwner;
}

export function navigate(route: Route): void {
  window.history.pushState({ owner }, '', routeHash(route));
  window.dispatchEvent(new Event(ROUTE_CHANGE));
}

/** Replaces the current entry with the worklist: nothing of a study stays in the URL or its state. */
export function resetRoute(): void {
  window.history.replaceState({ owner }, '', `${window.location.pathname}${window.location.search}${routeHash({ name: 'worklist' })}`);
  window.dispatchEvent(new Event(ROUTE_CHANGE));
}

/**
 * Starts a sign-in's ownership of history entries. `adoptCurrentEntry` keeps the entry the page
 * is on (a reload restoring the same session keeps its study open); otherwise the page starts at
 * the worklist.
 */
export function beginRouteOwnership(adoptCurrentEntry: boolean): void {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  owner = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  if (adoptCurrentEntry) window.history.replaceState({ owner }, '', window.location.href);
  else resetRoute();
}

/** Ends the sign-in's ownership: its entries are no longer followed, and the page shows no study. */
export function endRouteOwnership(): void {
  owner = null;
  resetRoute();
}

function currentRoute(): Route {
  if (madeInAnotherSignIn(window.history.state, owner)) {
    window.history.replaceState({ owner }, '', `${window.location.pathname}${window.location.search}${routeHash({ name: 'worklist' })}`);
    return { name: 'worklist' };
  }
  return parseRoute(window.location.hash);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    const events = ['hashchange', 'popstate', ROUTE_CHANGE];
    for (const event of events) window.addEventListener(event, onChange);
    return () => {
      for (const event of events) window.removeEventListener(event, onChange);
    };
  }, []);
  return route;
}
