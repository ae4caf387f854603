import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_ACCEPT, accessToken, auditRows, bearer, call, demoUser, runningStack, type RunningStack } from '../support/gate-client.ts';

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../src/cli.ts');
let stack: RunningStack;
const scratch = mkdtempSync(path.join(tmpdir(), 'rs-audit-'));

beforeAll(() => {
  stack = runningStack();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function studyFrames(username: string) {
  const token = await accessToken(stack, username);
  const study = demoUser(stack, username).studies[0]!;
  const series = JSON.parse((await call(stack, `/api/ris/dicom-web/studies/${study}/series`, { headers: bearer(token) })).text) as Array<Record<string, { Value: string[] }>>;
  const seriesUid = series[0]!['0020000E']!.Value[0]!;
  const instances = JSON.parse(
    (await call(stack, `/api/ris/dicom-web/studies/${study}/series/${seriesUid}/instances?limit=10`, { headers: bearer(token) })).text,
  ) as Array<Record<string, { Value: string[] }>>;
  return {
    token,
    targets: instances.map((i) => `/api/ris/dicom-web/studies/${study}/series/${seriesUid}/instances/${i['00080018']!.Value[0]}/frames/1`),
    study,
    seriesUid,
  };
}

/** A consistent copy of the live registry (WAL included), to tamper with. */
function snapshot(name: string): string {
  const file = path.join(scratch, name);
  const live = new Database(stack.gate.database, { readonly: true });
  try {
    live.exec(`vacuum into '${file.replace(/'/g, "''")}'`);
  } finally {
    live.close();
  }
  return file;
}

async function auditVerify(file: string): Promise<{ code: number; stdout: string }> {
  try {
    // The stack's HMAC key for the chain sits beside its database (stack/src/gate.ts).
    const env = { ...process.env, RS_DB_FILENAME: file, RS_AUDIT_KEY_FILE: path.join(path.dirname(stack.gate.database), 'audit.key') };
    const { stdout } = await run(process.execPath, [cli, 'audit', 'verify'], { env });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('audit before bytes', () => {
  it('after N served requests the audit log holds N matching allow rows', async () => {
    const { token, targets, study, seriesUid } = await studyFrames('rad.chen');
    expect(targets).toHaveLength(10);
    const ids: string[] = [];
    for (const target of targets) {
      const reply = await call(stack, target, { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
      expect(reply.status).toBe(200);
      ids.push(reply.requestId!);
    }
    const rows = auditRows(stack, ids);
    expect(rows).toHaveLength(10);
    for (const [index, row] of rows.entries()) {
      expect(row).toMatchObject({
        action: 'DICOM_ACCESS',
        result: 'success',
        username: 'rad.chen',
        role: 'radiologist',
        study_uid: study,
        series_uid: seriesUid,
        route_kind: 'instance.frames',
        client_ip: '127.0.0.1',
      });
      expect(targets[index]).toContain(String(row.instance_uid));
      expect(String(row.hash)).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('denials are audited with the reason', async () => {
    const foreign = stack.demoUsers.find((u) => u.username === 'admin')!.studies.find((s) => !demoUser(stack, 'pat.smith').studies.includes(s))!;
    const reply = await call(stack, `/api/ris/dicom-web/studies/${foreign}/metadata`, { headers: bearer(await accessToken(stack, 'pat.smith')) });
    expect(reply.status).toBe(403);
    expect(auditRows(stack, [reply.requestId!])[0]).toMatchObject({
      action: 'DICOM_ACCESS_DENIED',
      result: 'denied',
      username: 'pat.smith',
      study_uid: foreign,
      route_kind: 'study.metadata',
    });
  });

  it('with the audit store unwritable the gate answers 503 and nginx serves no bytes; it recovers by itself', async () => {
    const { token, targets } = await studyFrames('rad.okafor');
    const target = targets[0]!;
    // Another writer holds the database's write lock longer than the gate's busy timeout.
    const blocker = new Database(stack.gate.database);
    blocker.pragma('busy_timeout = 5000');
    blocker.exec('begin immediate');
    let reply;
    try {
      reply = await call(stack, target, { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
    } finally {
      blocker.exec('rollback');
      blocker.close();
    }
    expect(reply.status).toBe(503);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    expect(reply.body.length).toBeLessThan(300);
    expect(auditRows(stack, [reply.requestId!])).toEqual([]);

    const after = await call(stack, target, { headers: { ...bearer(token), accept: FRAME_ACCEPT } });
    expect(after.status).toBe(200);
    expect(auditRows(stack, [after.requestId!])).toHaveLength(1);
  });
});

describe('audit verify', () => {
  it('passes on the untouched log', async () => {
    const result = await auditVerify(snapshot('intact.sqlite'));
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^audit log intact: \d+ rows; head hash [0-9a-f]{64}; 0 anchored heads$/m);
  });

  it('names the row after a direct UPDATE', async () => {
    const file = snapshot('edited.sqlite');
    const db = new Database(file);
    const target = db.prepare("select id from audit_log where action = 'DICOM_ACCESS' order by id limit 1 offset 3").get() as { id: number };
    db.prepare("update audit_log set username = 'someone.else' where id = ?").run(target.id);
    db.close();
    const result = await auditVerify(file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`row ${target.id} was edited`);
  });

  it('names the row after a direct DELETE', async () => {
    const file = snapshot('deleted.sqlite');
    const db = new Database(file);
    const target = db.prepare('select id from audit_log order by id limit 1 offset 5').get() as { id: number };
    db.prepare('delete from audit_log where id = ?').run(target.id);
    db.close();
    const result = await auditVerify(file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`row ${target.id} is missing`);
  });
});
