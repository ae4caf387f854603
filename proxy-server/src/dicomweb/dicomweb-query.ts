import type { DicomWebRoute } from './dicomweb-path.ts';
import { isDicomUid } from './dicom-uid.ts';

/**
 * Query parameters are allow-listed per route and re-encoded strictly before they reach nginx:
 * nginx passes the redirect's query string to Orthanc verbatim, and a raw space or control
 * character there makes Orthanc echo the request, credentials included (docs/facts.md, why the gate encodes queries strictly).
 */
export type QueryParameter = readonly [name: string, value: string];
export type QueryResult = { ok: true; params: QueryParameter[] } | { ok: false; reason: string };

export const MAX_QUERY_PARAMETERS = 64;
export const MAX_QUERY_VALUE_LENGTH = 256;
// C0 and C1 control characters, built from code points so the source holds none of them.
const CONTROL_CHARACTERS = new RegExp(`[${String.fromCharCode(0)}-${String.fromCharCode(0x1f)}${String.fromCharCode(0x7f)}-${String.fromCharCode(0x9f)}]`);
const TAG = /^[0-9A-Fa-f]{8}$/;

/** QIDO matching attributes by keyword (PS3.18 §10.6.1.2), across the three search levels. */
const MATCHING_KEYWORDS = new Set([
  'StudyDate', 'StudyTime', 'AccessionNumber', 'ModalitiesInStudy', 'ReferringPhysicianName',
  'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyID',
  'StudyDescription', 'Modality', 'SeriesInstanceUID', 'SeriesNumber', 'SeriesDescription',
  'PerformedProcedureStepStartDate', 'PerformedProcedureStepStartTime', 'RequestAttributeSequence',
  'SOPClassUID', 'SOPInstanceUID', 'InstanceNumber', 'BodyPartExamined', 'InstitutionName',
]);
const UID_KEYWORDS = new Set(['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID', 'SOPClassUID']);
const UID_TAGS = new Set(['0020000d', '0020000e', '00080018', '00080016']);

const INCLUDE_FIELD = /^(?:all|(?:[A-Za-z]{1,64}|[0-9A-Fa-f]{8})(?:,(?:[A-Za-z]{1,64}|[0-9A-Fa-f]{8}))*)$/;
const NON_NEGATIVE_INTEGER = /^(?:0|[1-9][0-9]{0,8})$/;

type Validator = (value: string) => string | undefined;

const searchValidators: Record<string, Validator> = {
  limit: (v) => (NON_NEGATIVE_INTEGER.test(v) && Number(v) >= 1 && Number(v) <= 10_000 ? undefined : 'limit is 1..10000'),
  offset: (v) => (NON_NEGATIVE_INTEGER.test(v) ? undefined : 'offset is a non-negative integer'),
  fuzzymatching: (v) => (v === 'true' || v === 'false' ? undefined : 'fuzzymatching is true or false'),
  includefield: (v) => (INCLUDE_FIELD.test(v) ? undefined : 'includefield lists keywords or tags'),
};

const renderedValidators: Record<string, Validator> = {
  quality: (v) => (/^(?:[1-9][0-9]?|100)$/.test(v) ? undefined : 'quality is 1..100'),
  viewport: (v) => (/^[0-9]{1,5}(?:,[0-9]{1,5}){1,5}$/.test(v) ? undefined : 'viewport is a list of integers'),
  window: (v) =>
    /^-?[0-9]{1,6}(?:\.[0-9]{1,4})?,[0-9]{1,6}(?:\.[0-9]{1,4})?(?:,(?:linear|linear-exact|sigmoid))?$/.test(v)
      ? undefined
      : 'window is center,width[,function]',
};

function uidListValidator(value: string): string | undefined {
  const uids = value.split(',');
  if (uids.length > 1000 || !uids.every(isDicomUid)) return 'expected DICOM UIDs, comma separated';
  return undefined;
}

function validatorFor(route: DicomWebRoute, name: string): Validator | undefined {
  if (route.kind === 'search') {
    const fixed = searchValidators[name];
    if (fixed) return fixed;
    if (UID_KEYWORDS.has(name) || UID_TAGS.has(name.toLowerCase())) return uidListValidator;
    if (MATCHING_KEYWORDS.has(name) || TAG.test(name)) return () => undefined;
    return undefined;
  }
  if (route.kind === 'retrieve' && (route.resource === 'rendered' || route.resource === 'thumbnail')) {
    return renderedValidators[name];
  }
  if (route.kind === 'frames' && route.resource !== 'frames') return renderedValidators[name];
  return undefined;
}

function decodeComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Parses and checks the raw query string (without `?`) for a route. */
export function parseDicomWebQuery(route: DicomWebRoute, rawQuery: string): QueryResult {
  if (rawQuery === '') return { ok: true, params: [] };
  const pairs = rawQuery.split('&').filter((pair) => pair !== '');
  if (pairs.length > MAX_QUERY_PARAMETERS) return { ok: false, reason: `at most ${MAX_QUERY_PARAMETERS} query parameters` };
  const params: QueryParameter[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq === -1 ? '' : pair.slice(eq + 1));
    if (name === undefined || value === undefined) return { ok: false, reason: 'malformed percent-encoding in the query' };
    if (CONTROL_CHARACTERS.test(name) || CONTROL_CHARACTERS.test(value)) {
      return { ok: false, reason: 'control characters are not allowed in the query' };
    }
    if (value.length > MAX_QUERY_VALUE_LENGTH && !UID_KEYWORDS.has(name)) {
      return { ok: false, reason: `query value for "${name.slice(0, 64)}" is longer than ${MAX_QUERY_VALUE_LENGTH} characters` };
    }
    const validate = validatorFor(route, name);
    if (!validate) return { ok: false, reason: `query parameter "${name.slice(0, 64)}" is not allowed here` };
    const problem = validate(value);
    if (problem) return { ok: false, reason: problem };
    params.push([name, value]);
  }
  return { ok: true, params };
}

/**
 * Percent-encodes everything but RFC 3986's unreserved characters and the few DICOM matching
 * characters Orthanc must see as they are (`,` list, `^` name parts, `*` wildcard). The result
 * contains only printable ASCII without space, `%` always starting an escape.
 */
export function encodeQueryComponent(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~,^*]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function encodeQuery(params: readonly QueryParameter[]): string {
  return params.map(([name, value]) => `${encodeQueryComponent(name)}=${encodeQueryComponent(value)}`).join('&');
}
