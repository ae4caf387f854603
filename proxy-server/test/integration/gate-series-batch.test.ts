import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultipartStreamParser, SERIES_ACCEPT } from '@reading-station/contract';
import { DICOM_JSON, FRAME_ACCEPT, accessToken, auditRows, bearer, call, demoUser, runningStack, type RunningStack } from '../support/gate-client.ts';

// The viewer fetches a single-frame series as one series retrieval through nginx and the gate,
// parsed as it arrives (renderer/src/imaging/series-batches.ts). Each batch is one decision and
// one audit row naming what it covered; nothing is audited per frame.
let stack: RunningStack;
let token: string;
let study: string;
let userId: number;

type DicomJson = Array<Record<string, { Value?: unknown[] }>>;

function auditRowsAfter(id: number): Array<Record<string, unknown>> {
  const db = new Database(stack.gate.database, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select * from audit_log where id > ? and user_id = ? order by id').all(id, userId) as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

function lastAuditId(): number {
  const db = new Database(stack.gate.database, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select max(id) as id from audit_log').get() as { id: number }).id;
  } finally {
    db.close();
  }
}

/** A series retrieval read chunk by chunk, as the viewer reads it: the Part 10 objects it delivered. */
async function retrieveSeries(series: string): Promise<{ requestId: string | null; objects: Uint8Array[]; closed: boolean; chunks: number }> {
  const response = await fetch(`${stack.baseUrl}/api/ris/dicom-web/studies/${study}/series/${series}`, { headers: { ...bearer(token), accept: SERIES_ACCEPT } });
  expect(response.status).toBe(200);
  const parser = MultipartStreamParser.forContentType(response.headers.get('content-type') ?? '');
  if (!parser || !response.body) throw new Error(`not a multipart answer: ${response.headers.get('content-type')}`);
  const objects: Uint8Array[] = [];
  let chunks = 0;
  for await (const chunk of response.body) {
    chunks += 1;
    for (const part of parser.push(chunk)) {
      expect(part.contentType).toMatch(/^application\/dicom/);
      objects.push(part.body);
    }
  }
  return { requestId: response.headers.get('x-request-id'), objects, closed: parser.closed, chunks };
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');

beforeAll(async () => {
  stack = runningStack();
  token = await accessToken(stack, 'dr.house');
  study = demoUser(stack, 'dr.house').studies[0] as string;
  const db = new Database(stack.gate.database, { readonly: true, fileMustExist: true });
  try {
    userId = (db.prepare('select id from users where username = ?').get('dr.house') as { id: number }).id;
  } finally {
    db.close();
  }
});

describe('a single-frame series in one gated request', () => {
  it('every instance of each series arrives in its one multipart stream, and each stream is exactly one audit row naming the series it covered', async () => {
    const listed = await call(stack, `/api/ris/dicom-web/studies/${study}/series`, { headers: { ...bearer(token), accept: DICOM_JSON } });
    const seriesUids = (JSON.parse(listed.text) as DicomJson).map((s) => s['0020000E']?.Value?.[0] as string);
    expect(seriesUids.length).toBeGreaterThan(0);
    const expected = new Map<string, string[]>();
    for (const series of seriesUids) {
      const instances = await call(stack, `/api/ris/dicom-web/studies/${study}/series/${series}/instances`, { headers: { ...bearer(token), accept: DICOM_JSON } });
      expected.set(series, (JSON.parse(instances.text) as DicomJson).map((i) => i['00080018']?.Value?.[0] as string));
    }

    const before = lastAuditId();
    const batches: Array<{ series: string; requestId: string | null; delivered: number }> = [];
    for (const series of seriesUids) {
      const { requestId, objects, closed, chunks } = await retrieveSeries(series);
      expect(closed).toBe(true);
      // Streamed, not sent as one block: the parser met the body in many pieces.
      expect(chunks).toBeGreaterThan(1);
      const sops = expected.get(series) ?? [];
      expect(objects).toHaveLength(sops.length);
      // Each object is DICOM Part 10 and one of the series' instances, each instance once.
      const found = objects.map((object) => {
        expect(latin1(object.subarray(128, 132))).toBe('DICM');
        const text = latin1(object.subarray(0, 4096));
        return sops.find((sop) => text.includes(sop));
      });
      expect(new Set(found)).toEqual(new Set(sops));
      batches.push({ series, requestId, delivered: objects.length });
    }

    const rows = auditRowsAfter(before);
    expect(rows).toHaveLength(batches.length);
    for (const [i, batch] of batches.entries()) {
      expect(rows[i]).toMatchObject({
        request_id: batch.requestId,
        action: 'DICOM_ACCESS',
        result: 'success',
        study_uid: study,
        series_uid: batch.series,
        instance_uid: null,
        route_kind: 'series.retrieve',
        reason: 'every instance of the series',
      });
    }
    expect(batches.reduce((n, b) => n + b.delivered, 0)).toBe([...expected.values()].reduce((n, sops) => n + sops.length, 0));
  });

  it('a range of frames is one row naming the frames it covered', async () => {
    const metadata = await call(stack, `/api/ris/dicom-web/studies/${study}/metadata`, { headers: { ...bearer(token), accept: DICOM_JSON } });
    const first = (JSON.parse(metadata.text) as DicomJson)[0];
    const path = `/api/ris/dicom-web/studies/${study}/series/${first?.['0020000E']?.Value?.[0]}/instances/${first?.['00080018']?.Value?.[0]}/frames/1`;
    const reply = await call(stack, path, { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
    expect(reply.status).toBe(200);
    expect(auditRows(stack, [reply.requestId!])).toMatchObject([{ action: 'DICOM_ACCESS', route_kind: 'instance.frames', reason: 'frames 1' }]);
  });

  it('a series of a study the caller may not see is refused before any byte, and audited as denied', async () => {
    const other = demoUser(stack, 'admin').studies.find((s) => !demoUser(stack, 'dr.house').studies.includes(s));
    if (!other) throw new Error('the demo gives dr.house every study');
    const reply = await call(stack, `/api/ris/dicom-web/studies/${other}/series/1.2.3`, { headers: { ...bearer(token), accept: SERIES_ACCEPT } });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'STUDY_FORBIDDEN' });
    expect(reply.headers.get('x-accel-redirect')).toBeNull();
    expect(auditRows(stack, [reply.requestId!])).toMatchObject([{ action: 'DICOM_ACCESS_DENIED', route_kind: 'series.retrieve' }]);
  });
});
