import type { RsDatabase } from '../db/database.ts';
import { canAccessStudy } from '../policy/study-access-policy.ts';
import { kyselyGateReads, type GateReads } from '../gate-reads.ts';
import type { User } from '../users/user-repository.ts';
import { parseDicomWebPath, routeKind, routeToPath, type DicomWebRoute } from './dicomweb-path.ts';
import { encodeQuery, parseDicomWebQuery, type QueryParameter } from './dicomweb-query.ts';
import { constrainRootStudySearch } from './root-study-search.ts';

export { MAX_CONSTRAINED_STUDIES } from './root-study-search.ts';
import type { StudyRevisions } from './study-revisions.ts';
import { createHash } from 'node:crypto';

/** Where nginx's internal location proxies to Orthanc's DICOMweb root. */
export const INTERNAL_DICOMWEB_PREFIX = '/internal-orthanc/dicom-web/';

/**
 * nginx's cached internal location: `/internal-orthanc/cached/{revision}/dicom-web/…`. Its cache key
 * is this URI as the gate built it (the revision, the study in the path, the re-encoded query with
 * a root search's StudyInstanceUID constraint) and the Accept header, so an entry is only ever found
 * again by a request the gate authorised for exactly that study or study list, and never after the
 * study changed in Orthanc (study-revisions.ts).
 */
export const CACHED_DICOMWEB_PREFIX = '/internal-orthanc/cached/';

/** A root study search is cached only when constrained to at most this many studies (each is watched). */
export const MAX_CACHED_SEARCH_STUDIES = 16;

/** What the decision needs to key cached answers (StudyRevisions; absent: nothing is cached). */
export type RevisionLookup = Pick<StudyRevisions, 'revisionOf' | 'caughtUp' | 'isGone'>;

const STUDY_UID_PARAMS = new Set(['StudyInstanceUID', '0020000d', '0020000D']);

export interface SearchExposure {
  /** The StudyInstanceUIDs the search was constrained to; undefined: not constrained (an administrator). */
  studyUids: readonly string[] | undefined;
  /** The query's other parameters as forwarded to Orthanc (re-encoded). */
  query: string;
}

export type GateDecision =
  | {
      outcome: 'redirect';
      /** The X-Accel-Redirect target: built from the parsed route and re-encoded query only. */
      location: string;
      route: DicomWebRoute;
      kind: string;
      studyUid?: string;
      /** A root study search: the studies it was constrained to (all, for an administrator) and its other parameters, re-encoded. */
      exposure?: SearchExposure;
    }
  /** A root search the user has no studies for: answered by the gate with an empty result. */
  | { outcome: 'empty-search'; route: DicomWebRoute; kind: string }
  | {
      outcome: 'refused';
      status: 400 | 403 | 404 | 409;
      code: 'INVALID_PATH' | 'INVALID_QUERY' | 'STUDY_FORBIDDEN' | 'STUDY_NOT_FOUND' | 'SEARCH_NOT_CONSTRAINED' | 'STUDY_CONFLICT';
      reason: string;
      route?: DicomWebRoute;
      kind?: string;
      studyUid?: string;
    };

function location(route: DicomWebRoute, params: readonly QueryParameter[], revision?: string): string {
  const query = encodeQuery(params);
  const prefix = revision === undefined ? INTERNAL_DICOMWEB_PREFIX : `${CACHED_DICOMWEB_PREFIX}${revision}/dicom-web/`;
  return `${prefix}${routeToPath(route)}${query ? `?${query}` : ''}`;
}

/**
 * Whose answers the cache keeps: metadata, searches within a study, and frames (immutable for an
 * instance and transfer syntax as long as the study's revision holds). Whole instances, rendered
 * images, thumbnails and bulk data stream from Orthanc uncached.
 */
function cacheable(route: DicomWebRoute): boolean {
  switch (route.kind) {
    case 'search':
      return route.level !== 'root';
    case 'retrieve':
      return route.resource === 'metadata';
    case 'frames':
      return route.resource === 'frames';
    case 'bulkdata':
      return false;
  }
}

function studyRevision(revisions: RevisionLookup | undefined, study: { orthancId: string | null; studyInstanceUid: string }): string | undefined {
  return revisions !== undefined && study.orthancId !== null ? revisions.revisionOf(study.orthancId, study.studyInstanceUid) : undefined;
}

/**
 * Metadata and searches may be served from the cache only once the gate has seen every change
 * Orthanc recorded before the request arrived (a look at Orthanc started after it, shared with the
 * requests waiting alongside); when that look fails, the answer streams uncached. Frames do not
 * wait: an instance's frames never change for a transfer syntax (study-revisions.ts).
 */
async function caughtUp(revisions: RevisionLookup): Promise<boolean> {
  try {
    await revisions.caughtUp();
    return true;
  } catch {
    return false;
  }
}

/** One revision for a search over several studies: changes when any of theirs does. */
async function searchRevision(revisions: RevisionLookup | undefined, studies: ReadonlyArray<{ orthancId: string | null; studyInstanceUid: string }>): Promise<string | undefined> {
  if (revisions === undefined || studies.length === 0 || studies.length > MAX_CACHED_SEARCH_STUDIES) return undefined;
  if (studies.some((study) => study.orthancId === null) || !(await caughtUp(revisions))) return undefined;
  const parts: string[] = [];
  for (const study of studies) {
    const revision = studyRevision(revisions, study);
    if (revision === undefined) return undefined;
    parts.push(`${study.studyInstanceUid}=${revision}`);
  }
  return createHash('sha256').update(parts.join(',')).digest('hex').slice(0, 16);
}

export function seriesAndInstance(route: DicomWebRoute): { seriesUid?: string; instanceUid?: string } {
  return {
    ...('series' in route ? { seriesUid: route.series } : {}),
    ...('instance' in route ? { instanceUid: route.instance } : {}),
  };
}


/**
 * The gate's decision for one DICOMweb request: parse, authorise per study, and say where nginx
 * should fetch the answer. Pure of HTTP; the caller audits the decision before acting on it.
 *
 * Hierarchy (a series or instance of another study under an allowed study's path) is left to
 * Orthanc, which answers 404/400 for a forged hierarchy: the registry knows studies, not series.
 * An integration test proves that on every run. The study and its conflict are read through
 * `reads` (the gate's own read connection on SQLite), root study searches through `db`.
 */
export async function decideDicomWebRequest(
  db: RsDatabase,
  user: User,
  rawPath: string,
  rawQuery: string,
  revisions?: RevisionLookup,
  reads: Pick<GateReads, 'study'> = kyselyGateReads(db),
): Promise<GateDecision> {
  const parsed = parseDicomWebPath(rawPath);
  if (!parsed.ok) return { outcome: 'refused', status: 400, code: 'INVALID_PATH', reason: parsed.reason };
  let route = parsed.route;
  const query = parseDicomWebQuery(route, rawQuery);
  if (!query.ok) {
    return { outcome: 'refused', status: 400, code: 'INVALID_QUERY', reason: query.reason, route, kind: routeKind(route) };
  }
  let params = query.params;

  if (route.kind === 'search' && route.level === 'root') {
    const requested = params.filter(([name]) => STUDY_UID_PARAMS.has(name)).flatMap(([, value]) => value.split(','));
    const others = params.filter(([name]) => !STUDY_UID_PARAMS.has(name));

    if (route.target !== 'studies') {
      // Root series/instances searches must name one study; they become that study's search.
      if (requested.length !== 1) {
        if (user.role === 'admin' && requested.length === 0) {
          return { outcome: 'redirect', location: location(route, params), route, kind: routeKind(route) };
        }
        return {
          outcome: 'refused',
          status: 403,
          code: 'SEARCH_NOT_CONSTRAINED',
          reason: `a ${route.target} search must name exactly one StudyInstanceUID`,
          route,
          kind: routeKind(route),
        };
      }
      route = { kind: 'search', level: 'study', target: route.target, study: requested[0] as string };
      params = others;
    } else if (user.role !== 'admin') {
      // Root study search: constrained to the caller's studies, a page at a time (root-study-search.ts).
      const search = await constrainRootStudySearch(db, user, params);
      if (search.outcome === 'empty') return { outcome: 'empty-search', route, kind: routeKind(route) };
      if (search.outcome === 'refused') return { outcome: 'refused', status: 400, code: 'INVALID_QUERY', reason: search.reason, route, kind: routeKind(route) };
      const uids = search.studies.map((study) => study.studyInstanceUid);
      params = search.params;
      const revision = await searchRevision(revisions, search.studies);
      return {
        outcome: 'redirect',
        location: location(route, params, revision),
        route,
        kind: routeKind(route),
        exposure: { studyUids: uids, query: encodeQuery(search.asked) },
      };
    } else {
      return { outcome: 'redirect', location: location(route, params), route, kind: routeKind(route), exposure: { studyUids: undefined, query: encodeQuery(params) } };
    }
  }

  const studyUid = (route as Exclude<DicomWebRoute, { level: 'root' }>).study;
  const kind = routeKind(route);
  const found = await reads.study(studyUid);
  if (!found) return { outcome: 'refused', status: 404, code: 'STUDY_NOT_FOUND', reason: 'study not found', route, kind, studyUid };
  const { study, inConflict } = found;
  if (!canAccessStudy(user, study)) {
    return { outcome: 'refused', status: 403, code: 'STUDY_FORBIDDEN', reason: 'permission denied', route, kind, studyUid };
  }
  // Orthanc holds the UID under two patients: whatever it answered would mix them (registry-sync.ts).
  if (inConflict) {
    return { outcome: 'refused', status: 409, code: 'STUDY_CONFLICT', reason: 'StudyInstanceUID held by the PACS under more than one patient', route, kind, studyUid };
  }
  let revision: string | undefined;
  if (revisions !== undefined && study.orthancId !== null) {
    const fresh = cacheable(route) && route.kind !== 'frames' && (await caughtUp(revisions));
    // Deleted in Orthanc, as a look at it found: refused here, before nginx or its cache, even
    // while the registry still has the study.
    if (revisions.isGone(study.orthancId)) {
      return { outcome: 'refused', status: 404, code: 'STUDY_NOT_FOUND', reason: 'study deleted in the PACS', route, kind, studyUid };
    }
    if (cacheable(route) && (route.kind === 'frames' || fresh)) revision = studyRevision(revisions, study);
  }
  return { outcome: 'redirect', location: location(route, params, revision), route, kind, studyUid };
}
