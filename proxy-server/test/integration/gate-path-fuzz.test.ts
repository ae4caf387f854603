import { closeSync, openSync, readSync, statSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDicomWebPath, routeStudy } from '../../src/dicomweb/dicomweb-path.ts';
import { accessToken, auditRows, demoUser, rawRequest, runningStack, type RunningStack } from '../support/gate-client.ts';

/*
 * Generated raw request targets, sent through the real nginx: nginx decodes, merges slashes and
 * resolves dot segments to choose a location, while the gate parses the target exactly as sent.
 * The two must never disagree about a study in a way that serves one: whenever the gate allows a
 * request, nginx's own reading of the same target ($uri, from its access log) must name the same
 * study, the one the user may see, and no answer may carry the other study's data.
 *
 * nginx's reading comes from a first send with a token the gate refuses (the access log line of
 * an answer without X-Accel-Redirect holds the normalised client URI); the decision from a second
 * send with the user's token (status and audit row). Fixed seed, bounded runs.
 */
const RUNS = { seed: 0x6a7e, numRuns: 300 } as const;
const PREFIX = '/api/ris/dicom-web/';

let stack: RunningStack;
let token: string;
/** A study the user may see, and one they may not. */
let allowed: string;
let forbidden: string;

beforeAll(async () => {
  stack = runningStack();
  token = await accessToken(stack, 'dr.house');
  allowed = demoUser(stack, 'dr.house').studies[0] as string;
  forbidden = demoUser(stack, 'admin').studies.find((uid) => !demoUser(stack, 'dr.house').studies.includes(uid)) as string;
  expect(forbidden).toBeDefined();
});

/** The access log line of a request id, as nginx wrote it (the log's tail is enough). */
function accessLogUri(requestId: string): string | undefined {
  const file = stack.logs.nginxAccess as string;
  const size = statSync(file).size;
  const length = Math.min(size, 512 * 1024);
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  const line = buffer
    .toString('latin1')
    .split('\n')
    .find((entry) => entry.includes(`rid=${requestId} `));
  return line === undefined ? undefined : /"[A-Z]+ ([^"]*)" \d{3} /.exec(line)?.[1];
}

const header = (raw: string, name: string) => new RegExp(`^${name}: *([^\\r\\n]*)`, 'im').exec(raw)?.[1];

/** The study nginx's normalised URI names under the DICOMweb prefix (null: not a DICOMweb route). */
function nginxStudy(uri: string): string | null | undefined {
  if (!uri.startsWith(PREFIX)) return null;
  const parsed = parseDicomWebPath(uri.slice(PREFIX.length));
  return parsed.ok ? routeStudy(parsed.route) : null;
}

type Study = 'allowed' | 'forbidden';
type Op =
  | { kind: 'encode'; segment: number; at: number; lower: boolean }
  | { kind: 'dotdot'; segment: number; filler: Study | 'studies' | 'x' | 'internal-orthanc' }
  | { kind: 'dot' | 'empty'; segment: number }
  | { kind: 'swap'; study: Study }
  | { kind: 'upper'; segment: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('encode' as const), segment: fc.nat(), at: fc.nat(), lower: fc.boolean() }),
  fc.record({ kind: fc.constant('dotdot' as const), segment: fc.nat(), filler: fc.constantFrom('allowed', 'forbidden', 'studies', 'x', 'internal-orthanc') }),
  fc.record({ kind: fc.constantFrom('dot' as const, 'empty' as const), segment: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), study: fc.constantFrom<Study>('allowed', 'forbidden') }),
  fc.record({ kind: fc.constant('upper' as const), segment: fc.nat() }),
);

interface RequestSpec {
  start: Study;
  resource: string;
  ops: Op[];
  joins: string[];
  suffix: string;
}

const request: fc.Arbitrary<RequestSpec> = fc.record({
  start: fc.constantFrom<Study>('allowed', 'forbidden'),
  resource: fc.constantFrom('metadata', 'series', ''),
  ops: fc.oneof({ weight: 1, arbitrary: fc.constant<Op[]>([]) }, { weight: 3, arbitrary: fc.array(op, { minLength: 1, maxLength: 3 }) }),
  /** How segments are joined: `/`, or one of the spellings nginx may read as one. */
  joins: fc.array(
    fc.oneof({ weight: 40, arbitrary: fc.constant('/') }, { weight: 1, arbitrary: fc.constantFrom('%2f', '%2F', '/./', '//', '\\', '%5c', '/%2e/', '/%2E%2E/') }),
    { minLength: 12, maxLength: 12 },
  ),
  suffix: fc.constantFrom('', '', '', ';', '%3b', '#x', '%00', '%20', '?StudyInstanceUID=@forbidden', '?StudyInstanceUID=@allowed', '?includefield=all&StudyInstanceUID=@forbidden'),
});

function target(spec: RequestSpec): string {
  const uid = (study: Study) => (study === 'allowed' ? allowed : forbidden);
  const segments = ['api', 'ris', 'dicom-web', 'studies', uid(spec.start), ...(spec.resource ? [spec.resource] : [])];
  for (const step of spec.ops) {
    const i = step.kind === 'swap' ? 0 : step.segment % (segments.length + 1);
    switch (step.kind) {
      case 'encode': {
        const segment = segments[i % segments.length] as string;
        if (segment.length === 0 || segment.includes('%')) break;
        const at = step.at % segment.length;
        const hex = segment.charCodeAt(at).toString(16).padStart(2, '0');
        segments[i % segments.length] = `${segment.slice(0, at)}%${step.lower ? hex : hex.toUpperCase()}${segment.slice(at + 1)}`;
        break;
      }
      case 'dotdot': {
        const filler = step.filler === 'allowed' || step.filler === 'forbidden' ? uid(step.filler) : step.filler;
        segments.splice(i, 0, filler, '..');
        break;
      }
      case 'dot':
        segments.splice(i, 0, '.');
        break;
      case 'empty':
        segments.splice(i, 0, '');
        break;
      case 'swap': {
        const at = segments.indexOf(uid(step.study === 'allowed' ? 'forbidden' : 'allowed'));
        if (at >= 0) segments[at] = uid(step.study);
        break;
      }
      case 'upper':
        segments[i % segments.length] = (segments[i % segments.length] as string).toUpperCase();
        break;
    }
  }
  const path = segments.map((segment, index) => (index === 0 ? segment : `${spec.joins[index % spec.joins.length]}${segment}`)).join('');
  return `/${path}${spec.suffix.replace('@forbidden', forbidden).replace('@allowed', allowed)}`;
}

async function send(rawTarget: string, bearerToken: string) {
  const reply = await rawRequest(stack, rawTarget, { Authorization: `Bearer ${bearerToken}`, Accept: 'application/dicom+json' });
  return { ...reply, requestId: header(reply.raw, 'X-Request-Id') ?? '' };
}

describe('nginx and the gate read a raw target alike wherever it is allowed', () => {
  it('never serves a study other than the one both mean, and never the forbidden one', async () => {
    let allowedCount = 0;
    await fc.assert(
      fc.asyncProperty(request, async (spec) => {
        const raw = target(spec);
        const probe = await send(raw, 'not-a-token');
        const uri = probe.requestId ? accessLogUri(probe.requestId) : undefined;

        const reply = await send(raw, token);
        const body = reply.raw.slice(reply.raw.indexOf('\r\n\r\n') + 4);
        const dicom = reply.status === 200 && /^application\/dicom\+json/.test(header(reply.raw, 'Content-Type') ?? '');
        if (reply.status === 200) expect(body.includes(forbidden), `${raw}: a 200 answer carries the forbidden study`).toBe(false);

        const rows = reply.requestId ? auditRows(stack, [reply.requestId]) : [];
        const access = rows.find((row) => row.action === 'DICOM_ACCESS' || row.action === 'DICOM_QUERY');
        if (access || dicom) {
          // The gate allowed it: nginx read the same target as the same study, the allowed one.
          expect(uri, `${raw}: nginx logged the probe`).toBeDefined();
          expect(access?.study_uid, `${raw}: the gate's allowed study`).toBe(allowed);
          expect(nginxStudy(uri as string), `${raw}: nginx read ${uri}`).toBe(allowed);
          allowedCount += 1;
        }
      }),
      RUNS,
    );
    // The generator reaches allowed requests too, not only refusals.
    expect(allowedCount).toBeGreaterThan(10);
  });
});
