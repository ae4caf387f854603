import { describe, expect, it } from 'vitest';
import { isDicomUid } from './dicom-uid.ts';
import { MAX_FRAMES_PER_REQUEST, parseDicomWebPath, routeCoverage, routeKind, routeStudy, routeToPath, type DicomWebRoute } from './dicomweb-path.ts';

const S = '1.2.826.0.1.3680043.8.498.1';
const SE = '1.2.826.0.1.3680043.8.498.2';
const I = '1.2.826.0.1.3680043.8.498.3';

function parsed(path: string): DicomWebRoute {
  const result = parseDicomWebPath(path);
  if (!result.ok) throw new Error(`expected ${path} to parse: ${result.reason}`);
  return result.route;
}

describe('isDicomUid', () => {
  it.each([S, '1.2', '0.0', '2.25.329800735698586629295641978511506172918', `1.${'2'.repeat(62)}`])('accepts %s', (uid) => {
    expect(isDicomUid(uid)).toBe(true);
  });
  it.each([
    ['empty', ''],
    ['one component', '12345'],
    ['leading zero', '1.02.3'],
    ['trailing dot', '1.2.'],
    ['leading dot', '.1.2'],
    ['double dot', '1..2'],
    ['letters', '1.2.a'],
    ['65 characters', `1.${'2'.repeat(63)}`],
    ['space', '1.2 .3'],
    ['sign', '1.-2'],
  ])('rejects %s', (_name, uid) => {
    expect(isDicomUid(uid)).toBe(false);
  });
});

describe('parseDicomWebPath: accepted forms', () => {
  const cases: Array<[string, string]> = [
    ['studies', 'search.root.studies'],
    ['series', 'search.root.series'],
    ['instances', 'search.root.instances'],
    [`studies/${S}`, 'study.retrieve'],
    [`studies/${S}/metadata`, 'study.metadata'],
    [`studies/${S}/rendered`, 'study.rendered'],
    [`studies/${S}/thumbnail`, 'study.thumbnail'],
    [`studies/${S}/series`, 'search.study.series'],
    [`studies/${S}/instances`, 'search.study.instances'],
    [`studies/${S}/series/${SE}`, 'series.retrieve'],
    [`studies/${S}/series/${SE}/metadata`, 'series.metadata'],
    [`studies/${S}/series/${SE}/rendered`, 'series.rendered'],
    [`studies/${S}/series/${SE}/thumbnail`, 'series.thumbnail'],
    [`studies/${S}/series/${SE}/instances`, 'search.series.instances'],
    [`studies/${S}/series/${SE}/instances/${I}`, 'instance.retrieve'],
    [`studies/${S}/series/${SE}/instances/${I}/metadata`, 'instance.metadata'],
    [`studies/${S}/series/${SE}/instances/${I}/rendered`, 'instance.rendered'],
    [`studies/${S}/series/${SE}/instances/${I}/thumbnail`, 'instance.thumbnail'],
    [`studies/${S}/series/${SE}/instances/${I}/frames/1`, 'instance.frames'],
    [`studies/${S}/series/${SE}/instances/${I}/frames/1,2,30`, 'instance.frames'],
    [`studies/${S}/series/${SE}/instances/${I}/frames/3/rendered`, 'frames.rendered'],
    [`studies/${S}/series/${SE}/instances/${I}/frames/3/thumbnail`, 'frames.thumbnail'],
    [`studies/${S}/series/${SE}/instances/${I}/bulk/7fe00010`, 'instance.bulkdata'],
    [`studies/${S}/series/${SE}/instances/${I}/bulk/00081140/0/00081155`, 'instance.bulkdata'],
  ];
  it.each(cases)('%s → %s, and re-emits the same path', (path, kind) => {
    const route = parsed(path);
    expect(routeKind(route)).toBe(kind);
    expect(routeToPath(route)).toBe(path);
  });

  it('says what a retrieval covers, for its audit row: the frames listed, or every instance of a study or series', () => {
    expect(routeCoverage(parsed(`studies/${S}/series/${SE}/instances/${I}/frames/1,2,30`))).toBe('frames 1,2,30');
    expect(routeCoverage(parsed(`studies/${S}/series/${SE}`))).toBe('every instance of the series');
    expect(routeCoverage(parsed(`studies/${S}`))).toBe('every instance of the study');
    // The route's own UIDs say it: one instance, metadata, searches.
    for (const path of [`studies/${S}/series/${SE}/instances/${I}`, `studies/${S}/series/${SE}/metadata`, `studies/${S}/series`, `studies/${S}/series/${SE}/instances/${I}/frames/3/rendered`]) {
      expect(routeCoverage(parsed(path)), path).toBe(path.endsWith('/rendered') ? 'frames 3' : undefined);
    }
  });

  it('names the study of every route under studies/', () => {
    expect(routeStudy(parsed(`studies/${S}/series/${SE}/instances/${I}/frames/1`))).toBe(S);
    expect(routeStudy(parsed('studies'))).toBeUndefined();
  });

  it('keeps the frame numbers as numbers', () => {
    const route = parsed(`studies/${S}/series/${SE}/instances/${I}/frames/1,2,30`);
    expect(route.kind === 'frames' && route.frames).toEqual([1, 2, 30]);
  });

  it('accepts the viewer’s ranges of 16 frames and lists of up to MAX_FRAMES_PER_REQUEST distinct frames', () => {
    expect(MAX_FRAMES_PER_REQUEST).toBeGreaterThanOrEqual(16);
    const range = Array.from({ length: 16 }, (_, i) => 33 + i);
    expect(parsed(`studies/${S}/series/${SE}/instances/${I}/frames/${range.join(',')}`)).toMatchObject({ frames: range });
    const longest = Array.from({ length: MAX_FRAMES_PER_REQUEST }, (_, i) => MAX_FRAMES_PER_REQUEST - i);
    expect(parsed(`studies/${S}/series/${SE}/instances/${I}/frames/${longest.join(',')}`)).toMatchObject({ frames: longest });
  });

  it('names the repeated frame and the limit in its reason', () => {
    expect(parseDicomWebPath(`studies/${S}/series/${SE}/instances/${I}/frames/4,7,4`)).toEqual({ ok: false, reason: 'frame 4 is listed more than once' });
    const tooMany = Array.from({ length: MAX_FRAMES_PER_REQUEST + 1 }, (_, i) => i + 1).join(',');
    expect(parseDicomWebPath(`studies/${S}/series/${SE}/instances/${I}/frames/${tooMany}`)).toEqual({ ok: false, reason: `at most ${MAX_FRAMES_PER_REQUEST} frames per request` });
  });
});

describe('parseDicomWebPath: refused forms', () => {
  const refused: Array<[string, string]> = [
    ['empty', ''],
    ['trailing slash', 'studies/'],
    ['leading slash', `/studies/${S}`],
    ['doubled slash', `studies//${S}`],
    ['dot segment', `studies/${S}/../${S}`],
    ['single dot segment', `studies/./${S}`],
    ['encoded slash', `studies/${S}%2Fseries`],
    ['encoded dot', `studies/%2e%2e/${S}`],
    ['backslash', `studies\\${S}`],
    ['NUL', `studies/${S}\u0000`],
    ['encoded NUL', `studies/${S}%00`],
    ['space', `studies/${S} `],
    ['semicolon', `studies/${S};x=1`],
    ['unknown root', 'patients'],
    ['unknown study resource', `studies/${S}/bulk`],
    ['unknown series resource', `studies/${S}/series/${SE}/frames/1`],
    ['unknown instance resource', `studies/${S}/series/${SE}/instances/${I}/pixeldata`],
    ['bad study UID', 'studies/1.2.03'],
    ['UID regex of the original design only', 'studies/..1'],
    ['too long UID', `studies/1.${'2'.repeat(63)}`],
    ['bad series UID', `studies/${S}/series/abc`],
    ['bad instance UID', `studies/${S}/series/${SE}/instances/1`],
    ['frame zero', `studies/${S}/series/${SE}/instances/${I}/frames/0`],
    ['frame leading zero', `studies/${S}/series/${SE}/instances/${I}/frames/01`],
    ['empty frame list item', `studies/${S}/series/${SE}/instances/${I}/frames/1,,2`],
    ['frame out of range', `studies/${S}/series/${SE}/instances/${I}/frames/99999999999`],
    ['missing frame list', `studies/${S}/series/${SE}/instances/${I}/frames`],
    ['too many frames', `studies/${S}/series/${SE}/instances/${I}/frames/${Array.from({ length: MAX_FRAMES_PER_REQUEST + 1 }, (_, i) => i + 1).join(',')}`],
    ['a repeated frame', `studies/${S}/series/${SE}/instances/${I}/frames/1,1,1`],
    ['a frame repeated later in the list', `studies/${S}/series/${SE}/instances/${I}/frames/1,2,3,2`],
    ['path after frames', `studies/${S}/series/${SE}/instances/${I}/frames/1/rendered/x`],
    ['bad bulk tag', `studies/${S}/series/${SE}/instances/${I}/bulk/7fe0001`],
    ['bulk ending on an item', `studies/${S}/series/${SE}/instances/${I}/bulk/00081140/0`],
    ['upper-case keyword', `STUDIES/${S}`],
    ['too long', `studies/${S}/${'x'.repeat(1100)}`],
  ];
  it.each(refused)('%s', (_name, path) => {
    const result = parseDicomWebPath(path);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(5);
  });
});
