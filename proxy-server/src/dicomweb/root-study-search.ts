import type { RsDatabase } from '../db/database.ts';
import type { StudyAccessSubject } from '../policy/study-access-policy.ts';
import { studyVisibility } from '../studies/study-repository.ts';
import { encodeQuery, type QueryParameter } from './dicomweb-query.ts';

/**
 * A root study search by anyone but an administrator, at hospital scale. Orthanc is asked with the
 * caller's StudyInstanceUIDs as a constraint (QIDO matches a UID list), and one request's list has
 * to stay short (URL length), so the registry, which holds the study-level attributes and the
 * relations, does the paging:
 *
 * - With matching keys the registry can evaluate itself (StudyInstanceUID, PatientID and
 *   AccessionNumber without wildcards, StudyDate and date ranges) or none, the registry picks the
 *   page: the caller's matching studies, newest first (study date and time, then registry id),
 *   from `offset`, `limit` of them. Orthanc is asked for exactly those UIDs, with the same
 *   matching keys (it checks them again) and without limit/offset. So every page is complete and
 *   consistent with the worklist, and pages together list every study exactly once.
 * - With other matching keys (a PatientName, a description, a wildcard), Orthanc must match them:
 *   the constraint is every candidate study, and Orthanc pages. Refused when that is more than
 *   `MAX_CONSTRAINED_STUDIES`, with a message saying how to narrow the search.
 * - A page larger than `MAX_CONSTRAINED_STUDIES` (an unpaged search over more studies) is refused
 *   with a message saying to page: never silently cut.
 */

/**
 * At most this many StudyInstanceUIDs in one constraint (one page): 150 UIDs of up to 64
 * characters make under 10 KB of query, and Orthanc refuses a request line over 16 KB (HTTP 400;
 * measured with Orthanc 1.13, docs/facts.md).
 */
export const MAX_CONSTRAINED_STUDIES = 150;

/**
 * The longest query the gate sends Orthanc: its request line must stay under 16 KB, and the
 * X-Accel-Redirect header carrying it within nginx's 16 KB header buffer for the gate.
 */
export const MAX_FORWARDED_QUERY = 14_000;

const STUDY_UID_PARAMS = new Set(['StudyInstanceUID', '0020000d', '0020000D']);
/** Parameters that shape the answer rather than match studies. */
const PRESENTATION_PARAMS = new Set(['includefield', 'fuzzymatching']);
const PAGING_PARAMS = new Set(['limit', 'offset']);
const DICOM_WILDCARDS = /[*?]/;
const DATE = /^\d{8}$/;

export interface CandidateStudy {
  studyInstanceUid: string;
  orthancId: string | null;
}

export type RootStudySearch =
  | { outcome: 'empty' }
  | { outcome: 'refused'; reason: string }
  /**
   * Ask Orthanc with `params`; `studies` is the constraint, in the registry's order; `asked` is the
   * query but its StudyInstanceUIDs, paging included, for the audit row.
   */
  | { outcome: 'constrained'; studies: CandidateStudy[]; params: QueryParameter[]; asked: QueryParameter[] };

interface RegistryFilters {
  studyUids?: string[];
  patientId?: string;
  accessionNumber?: string;
  studyDate?: { from?: string; to?: string };
}

/** A StudyDate value as a range, or undefined when the registry cannot evaluate it. */
function dateRange(value: string): { from?: string; to?: string } | undefined {
  if (DATE.test(value)) return { from: value, to: value };
  const match = /^(\d{8})?-(\d{8})?$/.exec(value);
  if (match === null || (match[1] === undefined && match[2] === undefined)) return undefined;
  return { ...(match[1] !== undefined && { from: match[1] }), ...(match[2] !== undefined && { to: match[2] }) };
}

/**
 * Splits a root study search's parameters: what the registry matches, what only Orthanc can, and
 * paging. An empty value asks for the attribute without matching on it (PS3.4 universal matching).
 */
export function classifyRootStudyQuery(params: readonly QueryParameter[]): {
  filters: RegistryFilters;
  /** Matching keys only Orthanc can evaluate. */
  orthancOnly: QueryParameter[];
  /** Everything but StudyInstanceUID and paging, forwarded to Orthanc as it is. */
  others: QueryParameter[];
  limit: number | undefined;
  offset: number;
} {
  const filters: RegistryFilters = {};
  const orthancOnly: QueryParameter[] = [];
  const others: QueryParameter[] = [];
  let limit: number | undefined;
  let offset = 0;
  for (const param of params) {
    const [name, value] = param;
    if (STUDY_UID_PARAMS.has(name)) {
      filters.studyUids = [...(filters.studyUids ?? []), ...value.split(',')];
      continue;
    }
    if (name === 'limit') limit = Number(value);
    if (name === 'offset') offset = Number(value);
    if (PAGING_PARAMS.has(name)) continue;
    others.push(param);
    if (PRESENTATION_PARAMS.has(name) || value === '') continue;
    if ((name === 'PatientID' || name === 'AccessionNumber') && !DICOM_WILDCARDS.test(value) && !value.includes('\\')) {
      if (name === 'PatientID') filters.patientId = value;
      else filters.accessionNumber = value;
      continue;
    }
    const range = name === 'StudyDate' ? dateRange(value) : undefined;
    if (range !== undefined) {
      filters.studyDate = range;
      continue;
    }
    orthancOnly.push(param);
  }
  return { filters, orthancOnly, others, limit, offset };
}

/** The caller's studies that match the registry's filters, newest first; `[]` for nobody's. */
async function candidates(db: RsDatabase, subject: StudyAccessSubject, filters: RegistryFilters): Promise<CandidateStudy[]> {
  const visibility = studyVisibility(subject);
  if (visibility.kind === 'none') return [];
  let query = db.selectFrom('studies').select(['studies.study_instance_uid', 'studies.orthanc_id']);
  if (visibility.kind === 'where') query = query.where(visibility.filter);
  // A UID Orthanc holds under two patients would bring the other patient's study along.
  query = query.where((eb) => eb.not(eb.exists(eb.selectFrom('study_conflicts').select('study_conflicts.orthanc_id').whereRef('study_conflicts.study_instance_uid', '=', 'studies.study_instance_uid'))));
  if (filters.studyUids !== undefined) {
    const uids = [...new Set(filters.studyUids)];
    query = query.where('studies.study_instance_uid', 'in', uids);
  }
  if (filters.accessionNumber !== undefined) query = query.where('studies.accession_number', '=', filters.accessionNumber);
  if (filters.patientId !== undefined) {
    const patientId = filters.patientId;
    query = query.where((eb) => eb.exists(eb.selectFrom('patients').select('patients.id').whereRef('patients.id', '=', 'studies.patient_id').where('patients.patient_id', '=', patientId)));
  }
  if (filters.studyDate?.from !== undefined) query = query.where('studies.study_date', '>=', filters.studyDate.from);
  if (filters.studyDate?.to !== undefined) query = query.where('studies.study_date', '<=', filters.studyDate.to);
  const rows = await query
    .orderBy('studies.study_date', (order) => order.desc().nullsLast())
    .orderBy('studies.study_time', (order) => order.desc().nullsLast())
    .orderBy('studies.id', 'desc')
    .execute();
  return rows.map((row) => ({ studyInstanceUid: row.study_instance_uid, orthancId: row.orthanc_id }));
}

export async function constrainRootStudySearch(db: RsDatabase, subject: StudyAccessSubject, params: readonly QueryParameter[]): Promise<RootStudySearch> {
  const search = await constrain(db, subject, params);
  if (search.outcome === 'constrained' && encodeQuery(search.params).length > MAX_FORWARDED_QUERY) {
    return { outcome: 'refused', reason: `this search is too long for the PACS with its constraint: use fewer or shorter query parameters, or a smaller limit` };
  }
  return search;
}

async function constrain(db: RsDatabase, subject: StudyAccessSubject, params: readonly QueryParameter[]): Promise<RootStudySearch> {
  const { filters, orthancOnly, others, limit, offset } = classifyRootStudyQuery(params);
  const paging: QueryParameter[] = [...(limit === undefined ? [] : [['limit', String(limit)] as const]), ...(offset > 0 ? [['offset', String(offset)] as const] : [])];
  const asked = [...others, ...paging];
  const matching = await candidates(db, subject, filters);
  if (orthancOnly.length > 0) {
    if (matching.length === 0) return { outcome: 'empty' };
    if (matching.length > MAX_CONSTRAINED_STUDIES) {
      return {
        outcome: 'refused',
        reason: `this search would have to match ${orthancOnly.map(([name]) => name).join(', ')} in ${matching.length} of your studies (at most ${MAX_CONSTRAINED_STUDIES}): narrow it with StudyDate, PatientID, AccessionNumber or StudyInstanceUID`,
      };
    }
    return { outcome: 'constrained', studies: matching, params: [['StudyInstanceUID', matching.map((study) => study.studyInstanceUid).join(',')], ...asked], asked };
  }
  const page = matching.slice(offset, limit === undefined ? undefined : offset + limit);
  if (page.length > MAX_CONSTRAINED_STUDIES) {
    return { outcome: 'refused', reason: `this search matches ${matching.length - offset} of your studies: page it with limit (at most ${MAX_CONSTRAINED_STUDIES}) and offset` };
  }
  if (page.length === 0) return { outcome: 'empty' };
  return { outcome: 'constrained', studies: page, params: [['StudyInstanceUID', page.map((study) => study.studyInstanceUid).join(',')], ...others], asked };
}
