import type { RsDatabase } from '../db/database.ts';
import { canAccessStudy } from '../policy/study-access-policy.ts';
import { findStudyByUid, listStudiesVisibleTo } from '../studies/study-repository.ts';
import type { User } from '../users/user-repository.ts';
import { parseDicomWebPath, routeKind, routeToPath, type DicomWebRoute } from './dicomweb-path.ts';
import { encodeQuery, parseDicomWebQuery, type QueryParameter } from './dicomweb-query.ts';

/** Where nginx's internal location proxies to Orthanc's DICOMweb root. */
export const INTERNAL_DICOMWEB_PREFIX = '/internal-orthanc/dicom-web/';

/** A root search never lists more studies than this in one constraint (URL length). */
export const MAX_CONSTRAINED_STUDIES = 1000;

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
      status: 400 | 403 | 404;
      code: 'INVALID_PATH' | 'INVALID_QUERY' | 'STUDY_FORBIDDEN' | 'STUDY_NOT_FOUND' | 'SEARCH_NOT_CONSTRAINED';
      reason: string;
      route?: DicomWebRoute;
      kind?: string;
      studyUid?: string;
    };

function location(route: DicomWebRoute, params: readonly QueryParameter[]): string {
  const query = encodeQuery(params);
  return `${INTERNAL_DICOMWEB_PREFIX}${routeToPath(route)}${query ? `?${query}` : ''}`;
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
 * An integration test proves that on every run.
 */
export async function decideDicomWebRequest(db: RsDatabase, user: User, rawPath: string, rawQuery: string): Promise<GateDecision> {
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
      // Root study search: constrained to the studies the user may see (QIDO matches a UID list).
      const visible = await listStudiesVisibleTo(db, user, { limit: MAX_CONSTRAINED_STUDIES });
      const allowed = new Set(visible.map((study) => study.studyInstanceUid));
      const uids = requested.length > 0 ? [...new Set(requested)].filter((uid) => allowed.has(uid)) : [...allowed];
      if (uids.length === 0) return { outcome: 'empty-search', route, kind: routeKind(route) };
      params = [['StudyInstanceUID', uids.join(',')], ...others];
      return { outcome: 'redirect', location: location(route, params), route, kind: routeKind(route), exposure: { studyUids: uids, query: encodeQuery(others) } };
    } else {
      return { outcome: 'redirect', location: location(route, params), route, kind: routeKind(route), exposure: { studyUids: undefined, query: encodeQuery(params) } };
    }
  }

  const studyUid = (route as Exclude<DicomWebRoute, { level: 'root' }>).study;
  const kind = routeKind(route);
  const study = await findStudyByUid(db, studyUid);
  if (!study) return { outcome: 'refused', status: 404, code: 'STUDY_NOT_FOUND', reason: 'study not found', route, kind, studyUid };
  if (!canAccessStudy(user, study)) {
    return { outcome: 'refused', status: 403, code: 'STUDY_FORBIDDEN', reason: 'permission denied', route, kind, studyUid };
  }
  return { outcome: 'redirect', location: location(route, params), route, kind, studyUid };
}
