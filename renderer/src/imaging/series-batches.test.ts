import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERIES_ACCEPT } from '@reading-station/contract';
import { ApiError } from '../api/api-error.ts';
import { frameFailureKind } from './frame-retry.ts';
import { singleFrameOf } from './part10-frame.ts';
import { batchesSeries, MIN_BATCH_INSTANCES, SeriesBatch } from './series-batches.ts';

/** pydicom's own test files: single-frame objects of three transfer syntaxes. */
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const OBJECTS = ['CT_small.dcm', 'JPEG2000.dcm', 'MR_small_RLE.dcm'].map((name) => new Uint8Array(readFileSync(path.join(PYDICOM_FILES, name))));
const FRAMES = OBJECTS.map((object) => {
  const frame = singleFrameOf(object);
  if (!frame) throw new Error('test object without a frame');
  return frame;
});
const SOPS = FRAMES.map((f) => f.sopInstanceUid);
const BOUNDARY = 'series-batch-test';
const enc = (s: string) => new TextEncoder().encode(s);

/** A series retrieval's body: each object as a part, then the close (unless cut). */
function seriesBody(objects: Uint8Array[], closed = true): Uint8Array {
  const chunks = objects.flatMap((object) => [enc(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), object, enc('\r\n')]);
  if (closed) chunks.push(enc(`--${BOUNDARY}--`));
  return Buffer.concat(chunks);
}

interface FakeServer {
  fetch: typeof fetch;
  requests: Array<{ url: string; headers: Record<string, string> }>;
  /** Sends the next chunk of the body. */
  send(bytes: Uint8Array): void;
  end(): void;
  fail(): void;
}

function fakeServer(status = 200): FakeServer {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const requests: FakeServer['requests'] = [];
  return {
    requests,
    fetch: (async (url: string, init: RequestInit & { signal: AbortSignal }) => {
      requests.push({ url, headers: init.headers as Record<string, string> });
      if (init.signal.aborted) throw new DOMException('aborted', 'AbortError');
      init.signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
      const contentType = status === 200 ? `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` : 'application/json';
      return new Response(status === 200 ? stream : '{"code":"PACS_UNREACHABLE"}', { status, headers: { 'Content-Type': contentType } });
    }) as unknown as typeof fetch,
    send: (bytes) => controller.enqueue(bytes),
    end: () => controller.close(),
    fail: () => controller.error(new TypeError('network error')),
  };
}

function batchOf(server: FakeServer, options: { idleTimeoutMs?: number; maxHeldBytes?: number; loadedElsewhere?: (imageId: string) => boolean } = {}) {
  return new SeriesBatch({
    url: 'http://gate/api/ris/dicom-web/studies/1.2/series/1.2.3',
    wanted: new Map(SOPS.map((sop, i) => [sop, `wadors:http://gate/i/${i}/frames/1`])),
    headers: async () => ({ Authorization: 'Bearer token-now', Accept: 'replaced' }),
    fetch: server.fetch,
    ...options,
  });
}

/** Where the delimiter that closes the first part ends. */
const afterSecondDelimiter = (body: Uint8Array) => Buffer.from(body).indexOf(`--${BOUNDARY}`, 10) + BOUNDARY.length + 2;

const settled = <T>(promise: Promise<T>) => Promise.race([promise.then((v) => ({ value: v })), new Promise((r) => setTimeout(() => r('pending'), 20))]);

describe('a series batch', () => {
  it('asks for the series as stored, with the token of the moment, and hands each frame to its waiting load as it arrives', async () => {
    const server = fakeServer();
    const batch = batchOf(server);
    const waiting = SOPS.map((sop) => batch.take(sop));
    const body = seriesBody(OBJECTS);
    // Up to the delimiter after the first object only: the first load is served, the others wait.
    const firstEnd = afterSecondDelimiter(body);
    server.send(body.subarray(0, firstEnd));
    await expect(waiting[0]).resolves.toEqual({ bytes: FRAMES[0]?.bytes, transferSyntax: '1.2.840.10008.1.2.1' });
    expect(await settled(waiting[1] as Promise<unknown>)).toBe('pending');
    server.send(body.subarray(firstEnd));
    server.end();
    await batch.done;
    expect((await waiting[1])?.transferSyntax).toBe(FRAMES[1]?.transferSyntax);
    expect((await waiting[2])?.bytes).toEqual(FRAMES[2]?.bytes);
    expect(server.requests).toEqual([
      { url: 'http://gate/api/ris/dicom-web/studies/1.2/series/1.2.3', headers: { Authorization: 'Bearer token-now', Accept: SERIES_ACCEPT } },
    ]);
    expect(batch.running).toBe(false);
  });

  it('keeps a frame that came before its load asked, once, and within the memory bound', async () => {
    const server = fakeServer();
    const bound = (FRAMES[0]?.bytes.length ?? 0) + (FRAMES[2]?.bytes.length ?? 0);
    const batch = batchOf(server, { maxHeldBytes: bound, loadedElsewhere: (imageId) => imageId.includes('/i/1/') });
    server.send(seriesBody(OBJECTS));
    server.end();
    await batch.done;
    await expect(batch.take(SOPS[0] ?? '')).resolves.toMatchObject({ transferSyntax: '1.2.840.10008.1.2.1' });
    // Taken once: a second load of the same frame goes out on its own.
    await expect(batch.take(SOPS[0] ?? '')).resolves.toBeNull();
    // Loaded elsewhere meanwhile: not kept.
    await expect(batch.take(SOPS[1] ?? '')).resolves.toBeNull();
    // The third fits in the bound only because the second was not kept.
    await expect(batch.take(SOPS[2] ?? '')).resolves.not.toBeNull();
  });

  it('drops a frame beyond the memory bound, whose load then goes out on its own', async () => {
    const server = fakeServer();
    const batch = batchOf(server, { maxHeldBytes: FRAMES[0]?.bytes.length ?? 0 });
    server.send(seriesBody(OBJECTS));
    server.end();
    await batch.done;
    await expect(batch.take(SOPS[0] ?? '')).resolves.not.toBeNull();
    await expect(batch.take(SOPS[1] ?? '')).resolves.toBeNull();
  });

  it('a stream cut short: the frames that came whole are served, the others fall back to their own request', async () => {
    const server = fakeServer();
    const batch = batchOf(server);
    const waiting = SOPS.map((sop) => batch.take(sop));
    const body = seriesBody(OBJECTS, false);
    // Into the middle of the third object: two parts whole.
    server.send(body.subarray(0, body.length - 200));
    // The parts that came are handed out as they come, before the connection breaks.
    expect((await waiting[0])?.bytes).toEqual(FRAMES[0]?.bytes);
    expect((await waiting[1])?.bytes).toEqual(FRAMES[1]?.bytes);
    server.fail();
    await batch.done;
    await expect(waiting[2]).resolves.toBeNull();
  });

  it('a refused retrieval (502, a 401 while the token is renewed) sends every frame to its own request', async () => {
    for (const status of [401, 502]) {
      const server = fakeServer(status);
      const batch = batchOf(server);
      const waiting = SOPS.map((sop) => batch.take(sop));
      await batch.done;
      expect(await Promise.all(waiting)).toEqual([null, null, null]);
    }
  });

  it('a stream that stalls ends its waiting loads with the frame timeout, which is asked again on its own', async () => {
    const server = fakeServer();
    const batch = batchOf(server, { idleTimeoutMs: 50 });
    const body = seriesBody(OBJECTS);
    server.send(body.subarray(0, afterSecondDelimiter(body)));
    const waiting = SOPS.map((sop) => batch.take(sop).catch((error: unknown) => error));
    await batch.done;
    expect((await waiting[0]) as unknown).toHaveProperty('bytes');
    const error = await waiting[1];
    expect(error).toBeInstanceOf(ApiError);
    expect(frameFailureKind(error, () => false)).toBe('timeout');
  });

  it('cancelled at sign-out: waiting loads fail instead of going out with the next token', async () => {
    const server = fakeServer();
    const batch = batchOf(server);
    const waiting = batch.take(SOPS[0] ?? '').catch((error: unknown) => error);
    batch.cancel();
    await batch.done;
    const error = await waiting;
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('SESSION_ENDED');
    expect(frameFailureKind(error, () => false)).toBe('final');
  });
});

describe('which series are batched', () => {
  const single = { numberOfFrames: 1, ownDecoding: false };
  it(`series of at least ${MIN_BATCH_INSTANCES} single-frame instances that Cornerstone decodes as sent`, () => {
    expect(batchesSeries(Array.from({ length: MIN_BATCH_INSTANCES }, () => single))).toBe(true);
    expect(batchesSeries(Array.from({ length: MIN_BATCH_INSTANCES - 1 }, () => single))).toBe(false);
  });
  it('not a series with a multi-frame instance, or with frames the viewer decodes itself (1 and 32 bits)', () => {
    expect(batchesSeries([single, single, single, { numberOfFrames: 4, ownDecoding: false }])).toBe(false);
    expect(batchesSeries([single, single, single, { numberOfFrames: 1, ownDecoding: true }])).toBe(false);
  });
});
