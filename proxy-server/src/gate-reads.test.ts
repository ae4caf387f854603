import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RefreshTokenStore } from './auth/refresh-tokens.ts';
import type { RsDatabase } from './db/database.ts';
import { kyselyGateReads, sqliteGateReads, type GateReads } from './gate-reads.ts';
import { assignStudy, findStudyByUid, upsertImportedStudy } from './studies/study-repository.ts';
import { createTempDatabase, type TempDatabase } from './testing/temp-database.ts';
import { createTempPostgres, PG_SKIP_REASON, testPgAdminUrl } from './testing/temp-postgres.ts';
import { createUser, findUserById, setUserDisabled } from './users/user-repository.ts';

/** Made per run: no password is written into the sources. */
const PASSWORD = randomBytes(12).toString('base64url');
const STUDY = '1.2.826.0.1.3680043.8.498.71';

async function seed(db: RsDatabase) {
  await upsertImportedStudy(db, {
    studyInstanceUid: STUDY,
    patient: { patientId: 'PR-1', name: 'READ^ME' },
    accessionNumber: 'A-1',
    modalities: ['CT'],
    studyDate: '20260101',
    studyTime: '101500',
    description: 'reads',
    numberOfSeries: 1,
    numberOfInstances: 2,
    orthancId: 'orthanc-study-1',
  });
  const rad = await createUser(db, { username: 'rad', displayName: 'Rad', role: 'radiologist', password: PASSWORD });
  await createUser(db, { username: 'doc', displayName: 'Doc', role: 'doctor', password: PASSWORD });
  return { rad };
}

/**
 * Every change that decides access is seen by the very next read: nothing is remembered between
 * calls, whichever connection committed the change.
 */
async function readsWhatIsCommitted(db: RsDatabase, reads: GateReads): Promise<void> {
  const { rad } = await seed(db);

  // The same objects the repositories return.
  expect(await reads.account(rad.id, undefined)).toEqual({ user: await findUserById(db, rad.id), sessionRevoked: false });
  expect(await reads.account(rad.id + 1000, undefined)).toEqual({ user: undefined, sessionRevoked: false });
  expect(await reads.study(STUDY)).toEqual({ study: await findStudyByUid(db, STUDY), inConflict: false });
  expect(await reads.study(`${STUDY}.9`)).toBeUndefined();

  // A disabled account and a changed role.
  await setUserDisabled(db, 'rad', true);
  expect((await reads.account(rad.id, undefined)).user).toMatchObject({ disabled: true });
  await setUserDisabled(db, 'rad', false);
  await db.updateTable('users').set({ role: 'nurse' }).where('id', '=', rad.id).execute();
  expect((await reads.account(rad.id, undefined)).user).toMatchObject({ role: 'nurse', disabled: false });
  await db.updateTable('users').set({ role: 'radiologist' }).where('id', '=', rad.id).execute();

  // A session ended by an administrator, while another family of the same user stays open.
  const sessions = new RefreshTokenStore(db, { ttlSeconds: 600 });
  const first = await sessions.issue(rad.id);
  expect(await reads.account(rad.id, first.familyId)).toMatchObject({ sessionRevoked: false });
  expect(await reads.isSessionRevoked(first.familyId)).toBe(false);
  await sessions.revokeAllForUser(rad.id);
  expect(await reads.account(rad.id, first.familyId)).toMatchObject({ user: { id: rad.id }, sessionRevoked: true });
  expect(await reads.isSessionRevoked(first.familyId)).toBe(true);
  const second = await sessions.issue(rad.id);
  expect(await reads.account(rad.id, second.familyId)).toMatchObject({ sessionRevoked: false });
  await sessions.revokeFamilyOf(second.token);
  expect(await reads.account(rad.id, second.familyId)).toMatchObject({ sessionRevoked: true });
  expect(await reads.isSessionRevoked(second.familyId)).toBe(true);
  // Another account's session is not this account's.
  expect(await reads.account(rad.id + 1000, second.familyId)).toEqual({ user: undefined, sessionRevoked: false });
  expect(await reads.account(rad.id, 'no-such-family')).toMatchObject({ sessionRevoked: false });
  expect(await reads.isSessionRevoked('no-such-family')).toBe(false);

  // An assignment given and taken away.
  expect((await reads.study(STUDY))?.study).toMatchObject({ radiologistId: null, orderingPhysicianId: null });
  const assigned = await assignStudy(db, STUDY, { orderingPhysician: 'doc', radiologist: 'rad' });
  expect(await reads.study(STUDY)).toEqual({ study: assigned, inConflict: false });
  await assignStudy(db, STUDY, { radiologist: null });
  expect((await reads.study(STUDY))?.study).toMatchObject({ radiologistId: null, orderingPhysicianId: assigned.orderingPhysicianId });

  // A StudyInstanceUID found under a second patient, and the conflict resolved.
  expect(await reads.study(STUDY)).toMatchObject({ inConflict: false });
  const detectedAt = new Date().toISOString();
  await db
    .insertInto('study_conflicts')
    .values([
      { study_instance_uid: STUDY, orthanc_id: 'orthanc-study-1', patient_id: 'PR-1', issuer_of_patient_id: null, detected_at: detectedAt },
      { study_instance_uid: STUDY, orthanc_id: 'orthanc-study-2', patient_id: 'PR-2', issuer_of_patient_id: null, detected_at: detectedAt },
    ])
    .execute();
  expect(await reads.study(STUDY)).toMatchObject({ study: { studyInstanceUid: STUDY }, inConflict: true });
  await db.deleteFrom('study_conflicts').execute();
  expect(await reads.study(STUDY)).toMatchObject({ inConflict: false });
}

describe('sqliteGateReads (its own read-only connection)', () => {
  let temp: TempDatabase;
  let reads: GateReads;
  beforeEach(async () => {
    temp = await createTempDatabase();
    reads = sqliteGateReads(temp.filename);
  });
  afterEach(async () => {
    reads.close();
    await temp.dispose();
  });

  it('reads what the registry connection committed, at once', async () => {
    await readsWhatIsCommitted(temp.db, reads);
  });

  it('sees another process commit, and never its uncommitted rows', async () => {
    const { rad } = await seed(temp.db);
    const sessions = new RefreshTokenStore(temp.db, { ttlSeconds: 600 });
    const session = await sessions.issue(rad.id);
    // Another connection to the file, as the admin CLI's `user revoke-sessions` is.
    const other = new BetterSqlite3(temp.filename);
    try {
      other.exec('begin immediate');
      other.prepare('update refresh_tokens set revoked_at = ? where family_id = ?').run(new Date().toISOString(), session.familyId);
      other.prepare('update users set disabled = 1 where id = ?').run(rad.id);
      expect(await reads.account(rad.id, session.familyId)).toMatchObject({ user: { disabled: false }, sessionRevoked: false });
      other.exec('commit');
      expect(await reads.account(rad.id, session.familyId)).toMatchObject({ user: { disabled: true }, sessionRevoked: true });
    } finally {
      other.close();
    }
  });

  it('refuses a file that does not exist instead of making an empty registry', () => {
    expect(() => sqliteGateReads(`${temp.filename}.missing`)).toThrow();
  });
});

describe('kyselyGateReads on SQLite', () => {
  let temp: TempDatabase;
  beforeEach(async () => {
    temp = await createTempDatabase();
  });
  afterEach(async () => temp.dispose());

  it('reads what the registry connection committed, at once', async () => {
    await readsWhatIsCommitted(temp.db, kyselyGateReads(temp.db));
  });
});

describe.skipIf(!testPgAdminUrl)(`kyselyGateReads on PostgreSQL${testPgAdminUrl ? '' : ` (${PG_SKIP_REASON})`}`, () => {
  it('reads what the registry connection committed, at once', async () => {
    const pg = await createTempPostgres();
    try {
      await readsWhatIsCommitted(pg.db, kyselyGateReads(pg.db));
    } finally {
      await pg.dispose();
    }
  });
});
