import { sql } from 'kysely';
import { NO_MIGRATIONS } from 'kysely/migration';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempDatabase } from '../testing/temp-database.ts';
import type { TempDatabase } from '../testing/temp-database.ts';
import { PG_SKIP_REASON, createTempPostgres, testPgAdminUrl } from '../testing/temp-postgres.ts';
import { dialectOf } from './database.ts';
import type { RsDatabase } from './database.ts';
import { createMigrator, migrateToLatest, pendingMigrations } from './migrations.ts';

const NOW = '2026-11-27T10:00:00.000Z';

/** Assertions that must hold on every dialect once the schema is current. */
async function exerciseSchema(db: RsDatabase): Promise<void> {
  const tables = (await db.introspection.getTables()).map((table) => table.name).sort();
  expect(tables).toEqual(expect.arrayContaining(['audit_log', 'patients', 'refresh_tokens', 'studies', 'users']));

  const patient = await db.insertInto('patients').values({ patient_id: 'P-1', name: 'DOE^JANE', birth_date: null, sex: 'F' }).returning('id').executeTakeFirstOrThrow();
  const user = await db
    .insertInto('users')
    .values({ username: 'jane', display_name: 'Jane', role: 'patient', password_hash: 'x', patient_id: patient.id, created_at: NOW })
    .returning(['id', 'disabled'])
    .executeTakeFirstOrThrow();
  expect(user.disabled).toBe(0);

  const study = await db
    .insertInto('studies')
    .values({ study_instance_uid: '1.2.3', patient_id: patient.id, status: 'unread' })
    .returning(['id', 'number_of_series', 'number_of_instances'])
    .executeTakeFirstOrThrow();
  expect(study).toMatchObject({ number_of_series: 0, number_of_instances: 0 });

  const audit = await db
    .insertInto('audit_log')
    .values({ at: NOW, action: 'LOGIN', result: 'success', hash: 'h1' })
    .returning('id')
    .executeTakeFirstOrThrow();
  // bigint ids come back as numbers on PostgreSQL too.
  expect(typeof audit.id).toBe('number');

  // A sink's cursor starts before the first row, and a sink has one row.
  await db.insertInto('audit_forwarding').values({ sink: 'syslog', updated_at: NOW }).execute();
  const cursor = await db.selectFrom('audit_forwarding').select('last_id').where('sink', '=', 'syslog').executeTakeFirstOrThrow();
  expect(Number(cursor.last_id)).toBe(0);

  const rejected = async (promise: Promise<unknown>) => expect(promise).rejects.toThrow();
  await rejected(db.insertInto('users').values({ username: 'x', display_name: 'X', role: 'superuser' as 'admin', password_hash: 'x', created_at: NOW }).execute());
  await rejected(db.insertInto('users').values({ username: 'jane', display_name: 'Twin', role: 'nurse', password_hash: 'x', created_at: NOW }).execute());
  await rejected(
    db.insertInto('users').values({ username: 'doc', display_name: 'Doc', role: 'doctor', password_hash: 'x', patient_id: patient.id, created_at: NOW }).execute(),
  );
  await rejected(db.insertInto('studies').values({ study_instance_uid: '1.2.4', patient_id: 9999, status: 'unread' }).execute());
  await rejected(db.insertInto('studies').values({ study_instance_uid: '1.2.5', patient_id: patient.id, status: 'lost' as 'final' }).execute());
  await rejected(db.insertInto('studies').values({ study_instance_uid: '1.2.3', patient_id: patient.id, status: 'unread' }).execute());
  await rejected(db.insertInto('patients').values({ patient_id: 'P-1', name: null, birth_date: null, sex: null }).execute());
  // A patient is the PatientID with its issuer: another issuer's P-1 is another patient, once.
  const partner = await db.insertInto('patients').values({ patient_id: 'P-1', name: null, birth_date: null, sex: null, issuer_of_patient_id: 'HOSP-B' }).returning('id').executeTakeFirstOrThrow();
  await rejected(db.insertInto('patients').values({ patient_id: 'P-1', name: null, birth_date: null, sex: null, issuer_of_patient_id: 'HOSP-B' }).execute());
  // Migrating down would merge them (it refuses to); the schema tests migrate down afterwards.
  await db.deleteFrom('patients').where('id', '=', partner.id).execute();
  await rejected(db.insertInto('audit_forwarding').values({ sink: 'syslog', updated_at: NOW }).execute());

  // Deleting a user unassigns their studies rather than deleting them.
  const radiologist = await db
    .insertInto('users')
    .values({ username: 'rad', display_name: 'Rad', role: 'radiologist', password_hash: 'x', created_at: NOW })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.updateTable('studies').set({ radiologist_id: radiologist.id }).where('id', '=', study.id).execute();
  await db.deleteFrom('users').where('id', '=', radiologist.id).execute();
  const after = await db.selectFrom('studies').select('radiologist_id').where('id', '=', study.id).executeTakeFirstOrThrow();
  expect(after.radiologist_id).toBeNull();
}

/**
 * A registry made before 0009 (one patient per PatientID) keeps its rows, ids and links through
 * it, and afterwards holds the same PatientID once per issuer.
 */
async function exerciseIssuerIdentityUpgrade(db: RsDatabase): Promise<void> {
  const { error } = await createMigrator(db).migrateTo('0008_audit_forwarding');
  expect(error).toBeUndefined();
  const insertPatient = (patientId: string, issuer: string | null) =>
    db.insertInto('patients').values({ patient_id: patientId, name: `${patientId}^${issuer ?? ''}`, birth_date: null, sex: null, issuer_of_patient_id: issuer }).returning('id').executeTakeFirstOrThrow();
  const a = await insertPatient('MRN-1', 'HOSP-A');
  const plain = await insertPatient('MRN-2', null);
  const gone = await insertPatient('MRN-3', null);
  await db.deleteFrom('patients').where('id', '=', gone.id).execute();
  await db.insertInto('users').values({ username: 'pat', display_name: 'Pat', role: 'patient', password_hash: 'x', patient_id: a.id, created_at: NOW }).execute();
  await db.insertInto('studies').values({ study_instance_uid: '1.2.9', patient_id: a.id, status: 'unread' }).execute();
  await expect(insertPatient('MRN-1', 'HOSP-B')).rejects.toThrow();
  const before = await db.selectFrom('patients').selectAll().orderBy('id').execute();

  expect(await migrateToLatest(db)).toEqual(['0009_patient_issuer_identity']);
  expect(await db.selectFrom('patients').selectAll().orderBy('id').execute()).toEqual(before);
  expect(await db.selectFrom('users').select('patient_id').where('username', '=', 'pat').executeTakeFirstOrThrow()).toEqual({ patient_id: a.id });
  expect(await db.selectFrom('studies').select('patient_id').where('study_instance_uid', '=', '1.2.9').executeTakeFirstOrThrow()).toEqual({ patient_id: a.id });
  const b = await insertPatient('MRN-1', 'HOSP-B');
  const none = await insertPatient('MRN-1', null);
  // Ids go on after the highest ever given, a deleted patient's included.
  expect(Math.min(b.id, none.id)).toBeGreaterThan(gone.id);
  await expect(insertPatient('MRN-1', 'HOSP-A')).rejects.toThrow();
  await expect(insertPatient('MRN-1', null)).rejects.toThrow();
  await expect(insertPatient('MRN-2', null)).rejects.toThrow();
  // The foreign keys still hold: a patient with studies cannot go, and an unknown one cannot be cited.
  await expect(db.deleteFrom('patients').where('id', '=', a.id).execute()).rejects.toThrow();
  await expect(db.insertInto('studies').values({ study_instance_uid: '1.2.10', patient_id: 9999, status: 'unread' }).execute()).rejects.toThrow();
  expect(plain.id).toBeLessThan(gone.id);

  // Going back would merge two patients, so it fails while they exist, and works once they do not.
  expect((await createMigrator(db).migrateTo('0008_audit_forwarding')).error).toBeDefined();
  await db.deleteFrom('patients').where('id', 'in', [b.id, none.id]).execute();
  expect((await createMigrator(db).migrateTo('0008_audit_forwarding')).error).toBeUndefined();
  await expect(insertPatient('MRN-1', 'HOSP-B')).rejects.toThrow();
  expect(await db.selectFrom('users').select('patient_id').where('username', '=', 'pat').executeTakeFirstOrThrow()).toEqual({ patient_id: a.id });
}

const ALL_MIGRATIONS = ['0001_initial_schema', '0002_registry_sync', '0003_idp_identities', '0004_audit_key_id', '0006_hospital_relations', '0007_audit_served', '0008_audit_forwarding', '0009_patient_issuer_identity'];

describe('migrations on SQLite', () => {
  let temp: TempDatabase | undefined;

  afterEach(async () => {
    await temp?.dispose();
    temp = undefined;
  });

  it('creates the schema on an empty file and is a no-op the second time', async () => {
    temp = await createTempDatabase({ migrate: false });
    expect(await pendingMigrations(temp.db)).toEqual(ALL_MIGRATIONS);
    expect(await migrateToLatest(temp.db)).toEqual(ALL_MIGRATIONS);
    expect(await migrateToLatest(temp.db)).toEqual([]);
    expect(await pendingMigrations(temp.db)).toEqual([]);
    expect(dialectOf(temp.db)).toBe('sqlite');
    await exerciseSchema(temp.db);
  });

  it('moves patient uniqueness to PatientID and issuer, keeping rows, ids, links and foreign keys', async () => {
    temp = await createTempDatabase({ migrate: false });
    await exerciseIssuerIdentityUpgrade(temp.db);
    const { rows } = await sql<{ type: string }>`select typeof(seq) as type from sqlite_sequence where name = 'patients'`.execute(temp.db);
    expect(rows).toEqual([{ type: 'integer' }]);
  });

  it('opens the file in WAL mode with foreign keys and a busy timeout', async () => {
    temp = await createTempDatabase();
    const pragma = async (name: string) => {
      const { rows } = await sql<Record<string, unknown>>`${sql.raw(`pragma ${name}`)}`.execute(temp!.db);
      return Object.values(rows[0] ?? {})[0];
    };
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(5000);
  });

  it('migrates down to nothing and up again', async () => {
    temp = await createTempDatabase();
    const { error } = await createMigrator(temp.db).migrateTo(NO_MIGRATIONS);
    expect(error).toBeUndefined();
    const tables = (await temp.db.introspection.getTables()).map((table) => table.name);
    expect(tables).not.toContain('users');
    expect(tables).not.toContain('registry_sync');
    expect(await migrateToLatest(temp.db)).toEqual(ALL_MIGRATIONS);
  });
});

describe.skipIf(testPgAdminUrl === undefined)(`migrations on PostgreSQL${testPgAdminUrl ? '' : ` (${PG_SKIP_REASON})`}`, () => {
  it('creates the same schema and constraints, and migrates down to nothing', async () => {
    const temp = await createTempPostgres({ migrate: false });
    try {
      expect(dialectOf(temp.db)).toBe('postgres');
      expect(await migrateToLatest(temp.db)).toEqual(ALL_MIGRATIONS);
      await exerciseSchema(temp.db);
      const { error } = await createMigrator(temp.db).migrateTo(NO_MIGRATIONS);
      expect(error).toBeUndefined();
    } finally {
      await temp.dispose();
    }
  });

  it('moves patient uniqueness to PatientID and issuer, keeping rows, ids, links and foreign keys', async () => {
    const temp = await createTempPostgres({ migrate: false });
    try {
      await exerciseIssuerIdentityUpgrade(temp.db);
    } finally {
      await temp.dispose();
    }
  });
});
