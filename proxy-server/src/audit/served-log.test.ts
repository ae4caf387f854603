import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { ServedLogFollower, parseServedLine } from './served-log.ts';

const RID = 'f16d96e5cbbbd87393e7f7bdd4cd3215';

describe('parseServedLine', () => {
  it('reads nginx’s served line', () => {
    expect(parseServedLine(`served audit=42 status=200 bytes=192907 complete=OK rid=${RID}`)).toEqual({ auditId: 42, status: 200, bytesSent: 192907, completed: true, requestId: RID });
    expect(parseServedLine(`served audit=7 status=502 bytes=0 complete= rid=${RID}`)).toMatchObject({ status: 502, completed: false });
  });

  it.each([
    ['no audit id (a request the gate did not let through)', `served audit= status=200 bytes=1 complete=OK rid=${RID}`],
    ['audit id zero', `served audit=0 status=200 bytes=1 complete=OK rid=${RID}`],
    ['a status out of range', `served audit=1 status=999 bytes=1 complete=OK rid=${RID}`],
    ['a torn line', 'served audit=12 status=2'],
    ['another log format', `127.0.0.1 [2026-11-28T23:29:53+00:00] "GET /" 200 1 rid=${RID}`],
    ['an injected field', `served audit=1 status=200 bytes=1 complete=OK rid=${RID} audit=2`],
  ])('ignores %s', (_name, line) => {
    expect(parseServedLine(line)).toBeUndefined();
  });
});

describe('ServedLogFollower', () => {
  let temp: TempDatabase;
  let file: string;
  const served = async () => temp.db.selectFrom('audit_served').select(['audit_id', 'status', 'bytes_sent', 'completed']).orderBy('audit_id').execute();

  beforeEach(async () => {
    temp = await createTempDatabase();
    file = path.join(temp.dir, 'nginx-served.log');
  });
  afterEach(async () => temp.dispose());

  it('records each outcome once, by its audit id, waiting for a line nginx has not finished', async () => {
    const follower = new ServedLogFollower(temp.db, file);
    expect(await follower.readNew()).toBe(0);
    writeFileSync(file, `served audit=1 status=200 bytes=100 complete=OK rid=${RID}\nserved audit=2 status=404 bytes=12 complete= rid=${RID}\nserved audit=3 sta`);
    expect(await follower.readNew()).toBe(2);
    appendFileSync(file, `tus=200 bytes=5 complete=OK rid=${RID}\nserved audit=1 status=500 bytes=0 complete= rid=${RID}\n`);
    expect(await follower.readNew()).toBe(2);
    expect(await served()).toEqual([
      { audit_id: 1, status: 200, bytes_sent: 100, completed: 1 },
      { audit_id: 2, status: 404, bytes_sent: 12, completed: 0 },
      { audit_id: 3, status: 200, bytes_sent: 5, completed: 1 },
    ]);
  });

  it('reads a rotated file from its start, and a restarted follower records nothing twice', async () => {
    writeFileSync(file, `served audit=1 status=200 bytes=100 complete=OK rid=${RID}\n`);
    const follower = new ServedLogFollower(temp.db, file);
    await follower.readNew();
    renameSync(file, `${file}.1`);
    writeFileSync(file, `served audit=2 status=200 bytes=7 complete=OK rid=${RID}\n`);
    expect(await follower.readNew()).toBe(1);
    expect(await new ServedLogFollower(temp.db, file).readNew()).toBe(1);
    expect((await served()).map((row) => row.audit_id)).toEqual([1, 2]);
  });
});
