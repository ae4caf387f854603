import { isDicomUid } from './dicom-uid.ts';

/**
 * The DICOMweb paths the gate serves, parsed into a typed route. Everything the gate later does —
 * the policy check, the audit row, the X-Accel-Redirect — works from this value, never from the
 * raw URL, so a path that does not parse can reach neither Orthanc nor the log.
 */
export type RetrieveResource = 'instances' | 'metadata' | 'rendered' | 'thumbnail';
export type SearchTarget = 'studies' | 'series' | 'instances';

export type DicomWebRoute =
  /** QIDO at the root: `studies`, `series`, `instances`. */
  | { kind: 'search'; level: 'root'; target: SearchTarget }
  /** QIDO under a study: `studies/{s}/series`, `studies/{s}/instances`. */
  | { kind: 'search'; level: 'study'; target: 'series' | 'instances'; study: string }
  /** QIDO under a series: `studies/{s}/series/{se}/instances`. */
  | { kind: 'search'; level: 'series'; target: 'instances'; study: string; series: string }
  | { kind: 'retrieve'; level: 'study'; resource: RetrieveResource; study: string }
  | { kind: 'retrieve'; level: 'series'; resource: RetrieveResource; study: string; series: string }
  | { kind: 'retrieve'; level: 'instance'; resource: RetrieveResource; study: string; series: string; instance: string }
  | {
      kind: 'frames';
      resource: 'frames' | 'rendered' | 'thumbnail';
      study: string;
      series: string;
      instance: string;
      frames: number[];
    }
  | { kind: 'bulkdata'; study: string; series: string; instance: string; tagPath: string[] };

export type ParseResult = { ok: true; route: DicomWebRoute } | { ok: false; reason: string };

/** A short, stable name of the route for the audit log and metrics, e.g. `instance.frames`. */
export function routeKind(route: DicomWebRoute): string {
  switch (route.kind) {
    case 'search':
      return `search.${route.level}.${route.target}`;
    case 'retrieve':
      return `${route.level}.${route.resource === 'instances' ? 'retrieve' : route.resource}`;
    case 'frames':
      return route.resource === 'frames' ? 'instance.frames' : `frames.${route.resource}`;
    case 'bulkdata':
      return 'instance.bulkdata';
  }
}

/**
 * What an allowed retrieval covers, for its audit row, where the route's UIDs do not say it alone:
 * the frames of a frame list, or every instance of the study or series a whole-object retrieval
 * brings (the viewer fetches a single-frame series so, in one request). The gate does not count
 * those instances (the registry knows studies; Orthanc sends them); the bytes nginx then served are
 * recorded under the same row (audit/served-log.ts).
 */
export function routeCoverage(route: DicomWebRoute): string | undefined {
  if (route.kind === 'frames') return `frames ${route.frames.join(',')}`;
  if (route.kind === 'retrieve' && route.resource === 'instances' && route.level !== 'instance') return `every instance of the ${route.level}`;
  return undefined;
}

/**
 * The viewer asks for ranges of 16 frames (renderer/src/imaging/frame-ranges.ts); 64 leaves room for
 * other clients while keeping one request from making Orthanc decode a whole cine loop at once.
 */
export const MAX_FRAMES_PER_REQUEST = 64;
const MAX_FRAME_NUMBER = 2 ** 31 - 1;
const MAX_PATH_LENGTH = 1024;
/** Only these characters may appear in a DICOMweb path: no `%`, `\`, NUL, space, `;`, `~`... */
const PATH_CHARACTERS = /^[A-Za-z0-9.,/]*$/;
const POSITIVE_INTEGER = /^[1-9][0-9]{0,9}$/;
/** Bulk data paths: a tag (8 hex digits), optionally into sequence items by index. */
const TAG = /^[0-9A-Fa-f]{8}$/;
const ITEM_INDEX = /^(?:0|[1-9][0-9]{0,5})$/;

const fail = (reason: string): ParseResult => ({ ok: false, reason });

function parseFrameList(text: string): number[] | string {
  const parts = text.split(',');
  if (parts.length > MAX_FRAMES_PER_REQUEST) return `at most ${MAX_FRAMES_PER_REQUEST} frames per request`;
  const frames: number[] = [];
  // A repeated frame would make Orthanc decode and send the same pixels again: `1,1,1,…` multiplies
  // one audited request's cost without showing anything more.
  const seen = new Set<number>();
  for (const part of parts) {
    if (!POSITIVE_INTEGER.test(part)) return `frame numbers are positive integers without leading zeros (got "${part.slice(0, 16)}")`;
    const frame = Number(part);
    if (frame > MAX_FRAME_NUMBER) return 'frame number out of range';
    if (seen.has(frame)) return `frame ${frame} is listed more than once`;
    seen.add(frame);
    frames.push(frame);
  }
  return frames;
}

function parseResource(segment: string | undefined): RetrieveResource | undefined {
  if (segment === undefined) return 'instances';
  if (segment === 'metadata' || segment === 'rendered' || segment === 'thumbnail') return segment;
  return undefined;
}

/**
 * Parses the part of the path after `/api/ris/dicom-web/`, exactly as the client sent it (not
 * percent-decoded: an encoded character is refused, never interpreted).
 */
export function parseDicomWebPath(rawPath: string): ParseResult {
  if (rawPath.length === 0) return fail('empty DICOMweb path');
  if (rawPath.length > MAX_PATH_LENGTH) return fail('path too long');
  if (!PATH_CHARACTERS.test(rawPath)) {
    return fail('the path may contain only letters, digits, dots, commas and single slashes (no encoded characters)');
  }
  const segments = rawPath.split('/');
  if (segments.some((segment) => segment === '')) return fail('empty path segment (doubled, leading or trailing slash)');
  if (segments.some((segment) => segment === '.' || segment === '..')) return fail('dot segments are not allowed');

  const [first, study, second, series, third, instance, fourth, ...rest] = segments;

  if (segments.length === 1) {
    if (first === 'studies' || first === 'series' || first === 'instances') {
      return { ok: true, route: { kind: 'search', level: 'root', target: first } };
    }
    return fail(`unknown DICOMweb resource "${first}"`);
  }
  if (first !== 'studies') return fail(`unknown DICOMweb resource "${first}"`);
  if (study === undefined || !isDicomUid(study)) return fail('invalid StudyInstanceUID');

  // studies/{study}[/metadata|/rendered|/thumbnail|/series|/instances]
  if (segments.length <= 3) {
    if (second === 'series' || second === 'instances') {
      return { ok: true, route: { kind: 'search', level: 'study', target: second, study } };
    }
    const resource = parseResource(second);
    if (!resource) return fail(`unknown study resource "${second}"`);
    return { ok: true, route: { kind: 'retrieve', level: 'study', resource, study } };
  }
  if (second !== 'series') return fail(`unknown study resource "${second}"`);
  if (series === undefined || !isDicomUid(series)) return fail('invalid SeriesInstanceUID');

  // studies/{study}/series/{series}[/metadata|/rendered|/thumbnail|/instances]
  if (segments.length <= 5) {
    if (third === 'instances') {
      return { ok: true, route: { kind: 'search', level: 'series', target: 'instances', study, series } };
    }
    const resource = parseResource(third);
    if (!resource) return fail(`unknown series resource "${third}"`);
    return { ok: true, route: { kind: 'retrieve', level: 'series', resource, study, series } };
  }
  if (third !== 'instances') return fail(`unknown series resource "${third}"`);
  if (instance === undefined || !isDicomUid(instance)) return fail('invalid SOPInstanceUID');

  // studies/{study}/series/{series}/instances/{instance}[/metadata|/rendered|/thumbnail]
  if (segments.length === 6 || (segments.length === 7 && fourth !== 'frames' && fourth !== 'bulk')) {
    const resource = parseResource(fourth);
    if (!resource) return fail(`unknown instance resource "${fourth}"`);
    return { ok: true, route: { kind: 'retrieve', level: 'instance', resource, study, series, instance } };
  }

  if (fourth === 'frames') {
    // .../frames/{list}[/rendered|/thumbnail]
    const [list, resource, ...extra] = rest;
    if (list === undefined) return fail('missing frame list');
    if (extra.length > 0) return fail('unexpected path after the frame resource');
    if (resource !== undefined && resource !== 'rendered' && resource !== 'thumbnail') {
      return fail(`unknown frame resource "${resource}"`);
    }
    const frames = parseFrameList(list);
    if (typeof frames === 'string') return fail(frames);
    return {
      ok: true,
      route: { kind: 'frames', resource: resource ?? 'frames', study, series, instance, frames },
    };
  }

  if (fourth === 'bulk') {
    // .../bulk/{tag}[/{item}/{tag}]...: alternating tags and sequence item indexes.
    if (rest.length === 0 || rest.length > 15 || rest.length % 2 === 0) return fail('invalid bulk data path');
    for (const [index, part] of rest.entries()) {
      if (!(index % 2 === 0 ? TAG : ITEM_INDEX).test(part)) return fail('invalid bulk data path');
    }
    return { ok: true, route: { kind: 'bulkdata', study, series, instance, tagPath: rest.map((p) => p.toLowerCase()) } };
  }
  return fail(`unknown instance resource "${fourth}"`);
}

/** The route as a path under Orthanc's DICOMweb root, rebuilt from the parsed parts only. */
export function routeToPath(route: DicomWebRoute): string {
  switch (route.kind) {
    case 'search':
      if (route.level === 'root') return route.target;
      if (route.level === 'study') return `studies/${route.study}/${route.target}`;
      return `studies/${route.study}/series/${route.series}/instances`;
    case 'retrieve': {
      const base =
        route.level === 'study'
          ? `studies/${route.study}`
          : route.level === 'series'
            ? `studies/${route.study}/series/${route.series}`
            : `studies/${route.study}/series/${route.series}/instances/${route.instance}`;
      return route.resource === 'instances' ? base : `${base}/${route.resource}`;
    }
    case 'frames': {
      const base = `studies/${route.study}/series/${route.series}/instances/${route.instance}/frames/${route.frames.join(',')}`;
      return route.resource === 'frames' ? base : `${base}/${route.resource}`;
    }
    case 'bulkdata':
      return `studies/${route.study}/series/${route.series}/instances/${route.instance}/bulk/${route.tagPath.join('/')}`;
  }
}

/** The study a route is about, when its path names one. */
export function routeStudy(route: DicomWebRoute): string | undefined {
  return route.kind === 'search' && route.level === 'root' ? undefined : route.study;
}
