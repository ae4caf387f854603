import { beforeAll, describe, expect, it } from 'vitest';
import { accessToken, bearer, call, demoUser, rawRequest, runningStack, type RunningStack } from '../support/gate-client.ts';

let stack: RunningStack;
let token: string;
let study: string;

beforeAll(async () => {
  stack = runningStack();
  token = await accessToken(stack, 'admin');
  study = demoUser(stack, 'admin').studies[0]!;
});

const searchPath = () => `/api/ris/dicom-web/studies/${study}/series`;

describe('query strings reach Orthanc only strictly encoded', () => {
  it.each([
    ['raw space', 'SeriesDescription=CT AX'],
    ['raw CR LF', 'SeriesDescription=a\r\nAuthorization: x'],
    ['raw LF', 'SeriesDescription=a\nb'],
    ['raw NUL', 'SeriesDescription=a\u0000b'],
    ['raw tab', 'SeriesDescription=a\tb'],
    ['raw DEL', 'SeriesDescription=a\u007fb'],
  ])('%s in the request line is refused by nginx or the gate, never answered with Orthanc data', async (_name, query) => {
    const reply = await rawRequest(stack, `${searchPath()}?${query}`, bearer(token));
    // A line break ends the request line early: nginx then answers without an HTTP/1.x status line.
    if (reply.status !== 0) {
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
    }
    expect(reply.raw).not.toMatch(/0020000E|Basic |dicom\+json/);
  });

  it.each([
    ['%0d%0a', 'SeriesDescription=a%0d%0aAuthorization:%20Basic%20x'],
    ['%00', 'SeriesDescription=a%00b'],
    ['%0a', 'SeriesDescription=a%0ab'],
    ['%7f', 'SeriesDescription=a%7fb'],
    ['C1 control', 'SeriesDescription=a%C2%85b'],
    ['malformed escape', 'SeriesDescription=%E0%A4%A'],
    ['over-long value', `SeriesDescription=${'A'.repeat(300)}`],
    ['unknown parameter', 'password=1'],
    ['too many parameters', Array.from({ length: 80 }, (_, i) => `SeriesNumber=${i}`).join('&')],
  ])('encoded %s is a 400 JSON error from the gate', async (_name, query) => {
    const reply = await call(stack, `${searchPath()}?${query}`, { headers: bearer(token) });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'INVALID_QUERY' });
  });

  it.each([
    ['%20', 'SeriesDescription=CT%20CHEST', 'CT%20CHEST'],
    ['+', 'SeriesDescription=CT+CHEST', 'CT%20CHEST'],
    ['unicode', 'SeriesDescription=S%C3%A9rie%20%E6%97%A5', 'S%C3%A9rie%20%E6%97%A5'],
    ['wildcards', 'SeriesDescription=*CHEST*', '*CHEST*'],
  ])('%s is passed on safely encoded', async (_name, query, encoded) => {
    const direct = await fetch(`${stack.gate.url}${searchPath()}?${query}`, { headers: bearer(token) });
    expect(direct.status).toBe(200);
    const location = direct.headers.get('x-accel-redirect') ?? '';
    // The cached location carries the study's revision (docs/operations.md, "The DICOMweb cache").
    expect(location.replace(/^\/internal-orthanc\/cached\/[0-9a-f]{16}\//, '/internal-orthanc/')).toBe(`/internal-orthanc/dicom-web/studies/${study}/series?SeriesDescription=${encoded}`);
    expect(location).toMatch(/^[\x21-\x7e]+$/);
    const reply = await call(stack, `${searchPath()}?${query}`, { headers: bearer(token) });
    expect(reply.status).toBe(200);
    expect(Array.isArray(JSON.parse(reply.text))).toBe(true);
  });
});

describe('bad paths', () => {
  it.each([
    ['dot segments', `studies/${'1.2.3'}/../..`],
    ['encoded slash', `studies/1.2.3%2Fseries`],
    ['encoded dot', 'studies/%2e%2e/1.2.3'],
    ['backslash', 'studies\\1.2.3'],
    ['doubled slash', 'studies//1.2.3'],
    ['unknown segment', 'studies/1.2.3/pixels'],
    ['bad UID', 'studies/1.02.3'],
    ['encoded NUL', 'studies/1.2.3%00'],
  ])('%s → 400 JSON (or nginx’s 400), no bytes', async (_name, path) => {
    const reply = await rawRequest(stack, `/api/ris/dicom-web/${path}`, bearer(token));
    expect([400, 404]).toContain(reply.status);
    if (reply.status === 400 && reply.raw.includes('application/json')) expect(reply.raw).toMatch(/"code":"INVALID_PATH"/);
    expect(reply.raw).not.toMatch(/0020000D/);
  });

  it('other methods are 405 with Allow', async () => {
    const reply = await call(stack, `/api/ris/dicom-web/studies/${study}`, { method: 'DELETE', headers: bearer(token) });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe('GET, HEAD');
    const post = await call(stack, '/api/ris/dicom-web/studies', { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/dicom' }, body: 'x' });
    expect(post.status).toBe(405);
  });

  it('HEAD is gated like GET', async () => {
    const allowed = await fetch(`${stack.baseUrl}/api/ris/dicom-web/studies/${study}/metadata`, { method: 'HEAD', headers: bearer(token) });
    expect(allowed.status).toBe(200);
    const denied = await fetch(`${stack.baseUrl}/api/ris/dicom-web/studies/${study}/metadata`, { method: 'HEAD' });
    expect(denied.status).toBe(401);
  });
});

describe('CORS for the desktop app', () => {
  it('answers preflights from app://reading-station and not from other origins', async () => {
    const preflight = await call(stack, `/api/ris/dicom-web/studies/${study}/metadata`, {
      method: 'OPTIONS',
      headers: { origin: 'app://reading-station', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('app://reading-station');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(Number(preflight.headers.get('access-control-max-age'))).toBeGreaterThanOrEqual(600);
    const stranger = await call(stack, `/api/ris/dicom-web/studies/${study}/metadata`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('keeps the CORS header on bytes served through the internal location', async () => {
    const reply = await call(stack, `/api/ris/dicom-web/studies/${study}/series`, { headers: { ...bearer(token), origin: 'app://reading-station' } });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('access-control-allow-origin')).toBe('app://reading-station');
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('operations', () => {
  it('Prometheus metrics are on the loopback operations port only', async () => {
    await call(stack, `/api/ris/dicom-web/studies/${study}/series`, { headers: bearer(token) });
    const ops = await call(stack, `${stack.opsUrl}/metrics`);
    expect(ops.status).toBe(200);
    expect(ops.text).toMatch(/^reading_station_gate_decisions_total\{kind="search\.study\.series",outcome="redirect"\} [1-9]/m);
    expect(ops.text).toMatch(/^reading_station_audit_write_seconds_count [1-9]/m);
    expect(ops.text).not.toMatch(/rad\.|2\.25\./);
    expect((await call(stack, '/api/metrics')).status).toBe(404);
  });
});
