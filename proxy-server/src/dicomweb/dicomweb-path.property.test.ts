import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDicomUid, MAX_UID_LENGTH } from './dicom-uid.ts';
import { parseDicomWebPath, routeToPath, type DicomWebRoute, type RetrieveResource } from './dicomweb-path.ts';

/*
 * Properties of the gate's path grammar, over generated routes: printing a route and parsing the
 * result gives the route back, and no encoded, dot-segment, backslash or control character slips
 * through wherever it is put in an otherwise valid path. Fixed seed and bounded runs: the same
 * cases on every run, in CI too (a failure prints its seed and path to replay it).
 */
const RUNS = { seed: 0x5eed, numRuns: 300 } as const;

/** A UID component: "0", or digits without a leading zero. */
const uidComponent = fc.oneof(
  { weight: 1, arbitrary: fc.constant('0') },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.constantFrom(...'123456789'), fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 20 }))
      .map(([head, tail]) => head + tail),
  },
);

/** A DICOM UID: two or more components, at most 64 characters (components dropped from the end to fit). */
const dicomUid = fc.array(uidComponent, { minLength: 2, maxLength: 16 }).map((components) => {
  const kept = [...components];
  while (kept.length > 2 && kept.join('.').length > MAX_UID_LENGTH) kept.pop();
  return kept.join('.');
});

const retrieveResource = fc.constantFrom<RetrieveResource>('instances', 'metadata', 'rendered', 'thumbnail');
/** Frame numbers 1 … 2³¹−1, up to 60 of them (longer lists would exceed the path length limit). */
const frameList = fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 60 });
const tag = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 8, maxLength: 8 });
const itemIndex = fc.integer({ min: 0, max: 999_999 }).map(String);
/** tag, or tag/item/tag…: up to 15 parts, always ending on a tag. */
const tagPath = fc
  .tuple(tag, fc.array(fc.tuple(itemIndex, tag), { maxLength: 7 }))
  .map(([first, more]) => [first, ...more.flatMap(([item, next]) => [item, next])]);

/** Every route kind the grammar has. */
const route: fc.Arbitrary<DicomWebRoute> = fc.oneof(
  fc.record({ kind: fc.constant('search'), level: fc.constant('root'), target: fc.constantFrom('studies', 'series', 'instances') }),
  fc.record({ kind: fc.constant('search'), level: fc.constant('study'), target: fc.constantFrom('series', 'instances'), study: dicomUid }),
  fc.record({ kind: fc.constant('search'), level: fc.constant('series'), target: fc.constant('instances'), study: dicomUid, series: dicomUid }),
  fc.record({ kind: fc.constant('retrieve'), level: fc.constant('study'), resource: retrieveResource, study: dicomUid }),
  fc.record({ kind: fc.constant('retrieve'), level: fc.constant('series'), resource: retrieveResource, study: dicomUid, series: dicomUid }),
  fc.record({
    kind: fc.constant('retrieve'),
    level: fc.constant('instance'),
    resource: retrieveResource,
    study: dicomUid,
    series: dicomUid,
    instance: dicomUid,
  }),
  fc.record({
    kind: fc.constant('frames'),
    resource: fc.constantFrom('frames', 'rendered', 'thumbnail'),
    study: dicomUid,
    series: dicomUid,
    instance: dicomUid,
    frames: frameList,
  }),
  fc.record({ kind: fc.constant('bulkdata'), study: dicomUid, series: dicomUid, instance: dicomUid, tagPath }),
) as fc.Arbitrary<DicomWebRoute>;

const validPath = route.map(routeToPath);

/** Inserts `text` at `at` (a fraction of the length, so every position can be chosen). */
const insertAt = (path: string, at: number, text: string) => {
  const index = Math.round(at * path.length);
  return path.slice(0, index) + text + path.slice(index);
};
const position = fc.double({ min: 0, max: 1, noNaN: true });

/** 0x00–0x1F, 0x7F and the C1 controls 0x80–0x9F. */
const CONTROL_CHARACTERS = [
  ...Array.from({ length: 0x20 }, (_, code) => code),
  0x7f,
  ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i),
].map((code) => String.fromCharCode(code));

describe('DICOMweb path grammar: properties', () => {
  it('generates valid DICOM UIDs only (the generator itself)', () => {
    fc.assert(
      fc.property(dicomUid, (uid) => {
        expect(isDicomUid(uid)).toBe(true);
      }),
      RUNS,
    );
  });

  it('parse(print(route)) is the route, for every route kind', () => {
    fc.assert(
      fc.property(route, (generated) => {
        const path = routeToPath(generated);
        expect(parseDicomWebPath(path)).toEqual({ ok: true, route: generated });
      }),
      RUNS,
    );
  });

  it('a route parsed from any accepted string prints back to a path that parses to it again', () => {
    // Strings over the grammar's own alphabet and words, so that some of them parse.
    const word = fc.constantFrom('studies', 'series', 'instances', 'metadata', 'rendered', 'thumbnail', 'frames', 'bulk', '1.2', '1.2.3', '7FE00010', '0', '1,2');
    const candidate = fc.array(fc.oneof(word, fc.string({ unit: fc.constantFrom(...'0123456789.,/aF'), maxLength: 6 })), { maxLength: 10 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(candidate, (path) => {
        const parsed = parseDicomWebPath(path);
        if (!parsed.ok) return;
        expect(parseDicomWebPath(routeToPath(parsed.route))).toEqual(parsed);
      }),
      { ...RUNS, numRuns: 1000 },
    );
  });

  it.each([
    ['an encoded slash', '%2F'],
    ['an encoded slash, lower case', '%2f'],
    ['an encoded backslash', '%5C'],
    ['an encoded backslash, lower case', '%5c'],
    ['an encoded dot', '%2E'],
    ['a backslash', '\\'],
    ['two dots', '..'],
  ])('refuses %s anywhere in a valid path', (_name, text) => {
    fc.assert(
      fc.property(validPath, position, (path, at) => {
        const hostile = insertAt(path, at, text);
        expect(parseDicomWebPath(hostile), hostile).toMatchObject({ ok: false });
      }),
      RUNS,
    );
  });

  it('refuses a valid path with any one character percent-encoded (%2F for a slash, %2E for a dot, upper or lower case)', () => {
    // A gate that decoded before parsing would accept these as the valid path they spell.
    fc.assert(
      fc.property(validPath, position, fc.boolean(), (path, at, upper) => {
        const index = Math.min(path.length - 1, Math.floor(at * path.length));
        const hex = path.charCodeAt(index).toString(16).padStart(2, '0');
        const hostile = `${path.slice(0, index)}%${upper ? hex.toUpperCase() : hex}${path.slice(index + 1)}`;
        expect(parseDicomWebPath(hostile), hostile).toMatchObject({ ok: false });
      }),
      RUNS,
    );
  });

  it('refuses a valid path with one of its slashes written as a backslash, %5C or %2F', () => {
    // A gate that treated a backslash as a separator would accept these.
    const pathWithSlash = validPath.filter((path) => path.includes('/'));
    fc.assert(
      fc.property(pathWithSlash, fc.nat(), fc.constantFrom('\\', '%5C', '%5c', '%2F', '%2f'), (path, pick, separator) => {
        const slashes = [...path.matchAll(/\//g)].map((match) => match.index);
        const index = slashes[pick % slashes.length] ?? 0;
        const hostile = path.slice(0, index) + separator + path.slice(index + 1);
        expect(parseDicomWebPath(hostile), hostile).toMatchObject({ ok: false });
      }),
      RUNS,
    );
  });

  it.each([
    ['.', '.'],
    ['..', '..'],
  ])('refuses a "%s" segment between any two segments, or at either end', (_name, dots) => {
    fc.assert(
      fc.property(validPath, fc.nat(), (path, pick) => {
        const segments = path.split('/');
        const index = pick % (segments.length + 1);
        const hostile = [...segments.slice(0, index), dots, ...segments.slice(index)].join('/');
        expect(parseDicomWebPath(hostile), hostile).toEqual({ ok: false, reason: expect.any(String) });
      }),
      RUNS,
    );
  });

  it.each(CONTROL_CHARACTERS.map((character) => [`U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`, character]))(
    'refuses the control character %s anywhere in a valid path',
    (_name, character) => {
      fc.assert(
        fc.property(validPath, position, (path, at) => {
          const hostile = insertAt(path, at, character);
          expect(parseDicomWebPath(hostile), JSON.stringify(hostile)).toMatchObject({ ok: false });
        }),
        { ...RUNS, numRuns: 40 },
      );
    },
  );
});
