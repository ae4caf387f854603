import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { DICOM_JSON, FRAME_ACCEPT, accessToken, auditRows, bearer, call, demoUser, runningStack, type RunningStack } from '../support/gate-client.ts';

// What nginx actually served for a request the gate let through: the gate sends the audit row's id
// (X-Audit-Id) on its X-Accel answer, nginx logs it with the final status (rs_served), and the gate
// reads that log into audit_served, linked to the row.
let stack: RunningStack;
let token: string;
let instancePath: string;

interface ServedRow {
  audit_id: number;
  status: number;
  bytes_sent: number;
  completed: number;
}

function servedRow(auditId: number): ServedRow | undefined {
  const db = new Database(stack.gate.database, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select audit_id, status, bytes_sent, completed from audit_served where audit_id = ?').get(auditId) as ServedRow | undefined;
  } finally {
    db.close();
  }
}

/** The audit row of a request, and what the gate recorded as served for it (waited for). */
async function auditedAndServed(requestId: string): Promise<{ row: Record<string, unknown>; served: ServedRow | undefined }> {
  const [row] = auditRows(stack, [requestId]);
  expect(row, `an audit row for ${requestId}`).toBeDefined();
  const id = row!.id as number;
  let served: ServedRow | undefined;
  const until = Date.now() + 10_000;
  while ((served = servedRow(id)) === undefined && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200));
  return { row: row!, served };
}

beforeAll(async () => {
  stack = runningStack();
  token = await accessToken(stack, 'dr.house');
  const study = demoUser(stack, 'dr.house').studies[0] as string;
  const reply = await call(stack, `/api/ris/dicom-web/studies/${study}/metadata`, { headers: { ...bearer(token), accept: DICOM_JSON } });
  expect(reply.status).toBe(200);
  const first = (JSON.parse(reply.text) as Array<Record<string, { Value?: string[] }>>)[0];
  instancePath = `/api/ris/dicom-web/studies/${study}/series/${first?.['0020000E']?.Value?.[0]}/instances/${first?.['00080018']?.Value?.[0]}`;
});

describe('the outcome nginx served, linked to the audit row', () => {
  it('a frame served in full: status 200, the bytes the client got, complete', async () => {
    const reply = await call(stack, `${instancePath}/frames/1`, { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
    expect(reply.status).toBe(200);
    const { row, served } = await auditedAndServed(reply.requestId!);
    expect(row.action).toBe('DICOM_ACCESS');
    expect(served).toEqual({ audit_id: row.id, status: 200, bytes_sent: reply.body.length, completed: 1 });
  });

  it('an allowed request that Orthanc then fails is recorded with the status the client got, not the decision', async () => {
    // The demo's CT slices have one frame: the gate allows frame 2 (it does not know frame counts), Orthanc refuses it.
    const reply = await call(stack, `${instancePath}/frames/2`, { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
    expect(reply.status).toBeGreaterThanOrEqual(400);
    const { row, served } = await auditedAndServed(reply.requestId!);
    expect(row.action).toBe('DICOM_ACCESS');
    expect(served?.status).toBe(reply.status);
  });

  it('a refused request has no served outcome, and the audit id never reaches the client', async () => {
    const other = demoUser(stack, 'admin').studies.find((uid) => !demoUser(stack, 'dr.house').studies.includes(uid));
    const refused = await call(stack, `/api/ris/dicom-web/studies/${other}/metadata`, { headers: { ...bearer(token), accept: DICOM_JSON } });
    expect(refused.status).toBe(403);
    const [row] = auditRows(stack, [refused.requestId!]);
    expect(row?.action).toBe('DICOM_ACCESS_DENIED');
    // Give the follower the time an outcome would take.
    const allowed = await call(stack, `${instancePath}/metadata`, { headers: { ...bearer(token), accept: DICOM_JSON } });
    expect(allowed.headers.get('x-audit-id')).toBeNull();
    expect((await auditedAndServed(allowed.requestId!)).served?.status).toBe(200);
    expect(servedRow(row!.id as number)).toBeUndefined();
  });
});
