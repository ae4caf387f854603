import { sql } from 'kysely';
import type { ColumnDefinitionBuilder, Kysely, RawBuilder } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { Migration, MigrationProvider } from 'kysely/migration';
import { dialectOf } from './database.ts';
import type { DialectName } from './database.ts';

// Migrations live in code (not in a folder read at run time) so they ship inside the package and
// run the same from the server, the CLI and tests. Each migration is frozen once released: it
// spells out its own value lists instead of importing today's constants.

type ColumnBuild = (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;

function autoIncrementingId(dialect: DialectName): ColumnBuild {
  // SQLite's AUTOINCREMENT never reuses the id of a deleted row; PostgreSQL's identity column does
  // the same. Neither lets an id point at a different row than it once did (audit rows cite ids).
  return dialect === 'postgres'
    ? (column) => column.generatedAlwaysAsIdentity().primaryKey()
    : (column) => column.primaryKey().autoIncrement();
}

function oneOf(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}

const initialSchema = (dialect: DialectName): Migration => ({
  async up(db: Kysely<unknown>) {
    const id = autoIncrementingId(dialect);

    await db.schema
      .createTable('patients')
      .addColumn('id', 'integer', id)
      .addColumn('patient_id', 'text', (column) => column.notNull().unique())
      .addColumn('name', 'text')
      .addColumn('birth_date', 'text')
      .addColumn('sex', 'text')
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'integer', id)
      .addColumn('username', 'text', (column) => column.notNull().unique())
      .addColumn('display_name', 'text', (column) => column.notNull())
      .addColumn('role', 'text', (column) => column.notNull())
      .addColumn('password_hash', 'text', (column) => column.notNull())
      .addColumn('patient_id', 'integer', (column) => column.references('patients.id').onDelete('set null'))
      .addColumn('disabled', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addCheckConstraint('users_role_check', oneOf('role', ['admin', 'radiologist', 'doctor', 'patient', 'nurse', 'lab']))
      .addCheckConstraint('users_disabled_check', sql`disabled in (0, 1)`)
      // Only a patient account may be linked to a patient record (that link is what it may see).
      .addCheckConstraint('users_patient_link_check', sql`patient_id is null or role = 'patient'`)
      .execute();
    await db.schema.createIndex('users_patient_id_idx').on('users').column('patient_id').execute();

    await db.schema
      .createTable('studies')
      .addColumn('id', 'integer', id)
      .addColumn('study_instance_uid', 'text', (column) => column.notNull().unique())
      .addColumn('patient_id', 'integer', (column) => column.notNull().references('patients.id').onDelete('restrict'))
      .addColumn('ordering_physician_id', 'integer', (column) => column.references('users.id').onDelete('set null'))
      .addColumn('radiologist_id', 'integer', (column) => column.references('users.id').onDelete('set null'))
      .addColumn('accession_number', 'text')
      .addColumn('modality', 'text')
      .addColumn('study_date', 'text')
      .addColumn('study_time', 'text')
      .addColumn('description', 'text')
      .addColumn('status', 'text', (column) => column.notNull().defaultTo('unread'))
      .addColumn('number_of_series', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('number_of_instances', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('orthanc_id', 'text')
      .addColumn('imported_at', 'text')
      .addCheckConstraint('studies_status_check', oneOf('status', ['scheduled', 'unread', 'in_progress', 'read', 'final']))
      .execute();
    await db.schema.createIndex('studies_patient_id_idx').on('studies').column('patient_id').execute();
    await db.schema.createIndex('studies_ordering_physician_id_idx').on('studies').column('ordering_physician_id').execute();
    await db.schema.createIndex('studies_radiologist_id_idx').on('studies').column('radiologist_id').execute();
    await db.schema.createIndex('studies_accession_number_idx').on('studies').column('accession_number').execute();

    await db.schema
      .createTable('refresh_tokens')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('family_id', 'text', (column) => column.notNull())
      .addColumn('user_id', 'integer', (column) => column.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (column) => column.notNull().unique())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'text', (column) => column.notNull())
      .addColumn('rotated_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('replaced_by_id', 'text', (column) => column.references('refresh_tokens.id').onDelete('set null'))
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema.createIndex('refresh_tokens_family_id_idx').on('refresh_tokens').column('family_id').execute();
    await db.schema.createIndex('refresh_tokens_user_id_idx').on('refresh_tokens').column('user_id').execute();

    await db.schema
      .createTable('audit_log')
      // The audit log numbers its own rows (each hash covers its id, so the id is fixed before the
      // insert): an identity by default on PostgreSQL, which accepts the explicit value.
      .addColumn('id', dialect === 'postgres' ? 'bigint' : 'integer', dialect === 'postgres' ? (column) => column.generatedByDefaultAsIdentity().primaryKey() : id)
      .addColumn('at', 'text', (column) => column.notNull())
      .addColumn('request_id', 'text')
      .addColumn('user_id', 'integer')
      .addColumn('username', 'text')
      .addColumn('role', 'text')
      .addColumn('action', 'text', (column) => column.notNull())
      .addColumn('study_uid', 'text')
      .addColumn('series_uid', 'text')
      .addColumn('instance_uid', 'text')
      .addColumn('route_kind', 'text')
      .addColumn('client_ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('result', 'text', (column) => column.notNull())
      .addColumn('reason', 'text')
      .addColumn('prev_hash', 'text')
      .addColumn('hash', 'text', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
    await db.schema.createIndex('audit_log_study_uid_idx').on('audit_log').column('study_uid').execute();
    await db.schema.createIndex('audit_log_user_id_idx').on('audit_log').column('user_id').execute();
  },

  async down(db: Kysely<unknown>) {
    for (const table of ['audit_log', 'refresh_tokens', 'studies', 'users', 'patients']) {
      await db.schema.dropTable(table).execute();
    }
  },
});

// The registry follows Orthanc's changes feed: one row per followed source with the last change
// applied (written in the same transaction as the registry rows it produced) and the lease that
// lets only one gate follow at a time.
const registrySync: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('registry_sync')
      .addColumn('source', 'text', (column) => column.primaryKey())
      .addColumn('last_seq', 'bigint')
      .addColumn('reconciled_at', 'text')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'text')
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('studies_orthanc_id_idx').on('studies').column('orthanc_id').execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('studies_orthanc_id_idx').execute();
    await db.schema.dropTable('registry_sync').execute();
  },
};

// Accounts of a hospital identity provider are linked by the provider's issuer and the token's
// `sub`, which the provider never reassigns; never by a name claim, which users or admins can change.
const idpIdentities: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('idp_identities')
      .addColumn('issuer', 'text', (column) => column.notNull())
      .addColumn('subject', 'text', (column) => column.notNull())
      .addColumn('user_id', 'integer', (column) => column.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addPrimaryKeyConstraint('idp_identities_pkey', ['issuer', 'subject'])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('idp_identities').execute();
  },
};

// The audit chain becomes keyed (HMAC): each row names its key. Earlier rows keep null (plain SHA-256).
const auditKeyId: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('audit_log').addColumn('key_id', 'text').execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('audit_log').dropColumn('key_id').execute();
  },
};

// The registry learns its relations from the hospital's data. A patient is the PatientID together
// with its IssuerOfPatientID where the PACS gives one; the ordering physician comes from the
// study's ReferringPhysicianName through a directory admins keep (DICOM name → user); a
// StudyInstanceUID that Orthanc holds under more than one patient is recorded as a conflict.
const hospitalRelations: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('patients').addColumn('issuer_of_patient_id', 'text').execute();
    await db.schema.alterTable('studies').addColumn('referring_physician_name', 'text').execute();
    await db.schema.createIndex('studies_referring_physician_name_idx').on('studies').column('referring_physician_name').execute();
    await db.schema
      .createTable('physician_directory')
      // The DICOM PN's alphabetic group, normalised (physicians/physician-name.ts).
      .addColumn('dicom_name', 'text', (column) => column.primaryKey())
      .addColumn('user_id', 'integer', (column) => column.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (column) => column.notNull())
      .execute();
    await db.schema
      .createTable('study_conflicts')
      .addColumn('study_instance_uid', 'text', (column) => column.notNull())
      .addColumn('orthanc_id', 'text', (column) => column.notNull())
      .addColumn('patient_id', 'text')
      .addColumn('issuer_of_patient_id', 'text')
      .addColumn('detected_at', 'text', (column) => column.notNull())
      .addPrimaryKeyConstraint('study_conflicts_pkey', ['study_instance_uid', 'orthanc_id'])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('study_conflicts').execute();
    await db.schema.dropTable('physician_directory').execute();
    await db.schema.dropIndex('studies_referring_physician_name_idx').execute();
    await db.schema.alterTable('studies').dropColumn('referring_physician_name').execute();
    await db.schema.alterTable('patients').dropColumn('issuer_of_patient_id').execute();
  },
};

/**
 * What nginx actually served for a request the gate let through, linked to its audit row by id
 * (the gate's X-Audit-Id; audit/served-log.ts reads nginx's served log into it). A table of its
 * own: the audit row is chained and committed before the bytes flow, its outcome comes later.
 */
const auditServed: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_served')
      .addColumn('audit_id', 'integer', (column) => column.primaryKey())
      .addColumn('status', 'integer', (column) => column.notNull())
      .addColumn('bytes_sent', 'integer', (column) => column.notNull())
      .addColumn('completed', 'integer', (column) => column.notNull())
      .addColumn('request_id', 'text')
      .addColumn('recorded_at', 'text', (column) => column.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('audit_served').execute();
  },
};

/**
 * The audit log forwarded elsewhere (audit/syslog-forwarder.ts): the audit table itself is the
 * spool, and each sink keeps here the id of the last row it delivered, advanced only after the
 * sink confirmed the rows. The lease columns let one gate forward at a time when several share
 * the database (db/lease.ts, as the registry sync's row does).
 */
const auditForwarding: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_forwarding')
      .addColumn('sink', 'text', (column) => column.primaryKey())
      .addColumn('last_id', 'bigint', (column) => column.notNull().defaultTo(0))
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'text')
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('audit_forwarding').execute();
  },
};

/**
 * A patient is the PatientID together with its IssuerOfPatientID ("no issuer" being a value of its
 * own): hospitals that merged, or that receive a partner site's studies, hold the same PatientID
 * under different issuers, and each is a patient of its own. The uniqueness moves from patient_id
 * to the pair, as one index over patient_id and the issuer with null as '' (an empty
 * IssuerOfPatientID is no issuer in DICOM too), the same expression on both dialects so that
 * upserts name one conflict target. Rows and their ids stay as they are.
 */
const patientIssuerIdentity = (dialect: DialectName): Migration => ({
  async up(db: Kysely<unknown>) {
    if (dialect === 'sqlite') return rebuildSqlitePatients(db, 'patient_id text not null', PATIENT_IDENTITY_INDEX);
    await sql`alter table patients drop constraint patients_patient_id_key`.execute(db);
    await PATIENT_IDENTITY_INDEX.execute(db);
  },

  async down(db: Kysely<unknown>) {
    // Fails, changing nothing, while two issuers' patients share a PatientID: going back would merge them.
    if (dialect === 'sqlite') return rebuildSqlitePatients(db, 'patient_id text not null unique');
    await db.schema.dropIndex('patients_identity_idx').execute();
    await sql`alter table patients add constraint patients_patient_id_key unique (patient_id)`.execute(db);
  },
});

const PATIENT_IDENTITY_INDEX = sql`create unique index patients_identity_idx on patients (patient_id, (coalesce(issuer_of_patient_id, '')))`;

/**
 * SQLite cannot drop a constraint written inline in the table, so the patients table is made anew
 * with `patientIdColumn` and its rows copied over, ids included (SQLite's documented table rebuild),
 * then `index` created, all in one transaction (the old table's indexes go with it). Foreign keys
 * are off meanwhile: dropping the old table would otherwise unlink the accounts (on delete set
 * null) or fail for the studies; they are checked before the rebuild commits. AUTOINCREMENT's
 * high-water mark is carried over too, so a deleted patient's id is never reused.
 */
async function rebuildSqlitePatients(db: Kysely<unknown>, patientIdColumn: string, index?: RawBuilder<unknown>): Promise<void> {
  // A no-op inside a transaction, and SQLite migrations run outside one (no transactional DDL).
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      const { rows: sequence } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'patients'`.execute(trx);
      await sql`create table patients_rebuilt (
        id integer primary key autoincrement,
        ${sql.raw(patientIdColumn)},
        name text,
        birth_date text,
        sex text,
        issuer_of_patient_id text
      )`.execute(trx);
      await sql`insert into patients_rebuilt (id, patient_id, name, birth_date, sex, issuer_of_patient_id)
        select id, patient_id, name, birth_date, sex, issuer_of_patient_id from patients`.execute(trx);
      await sql`drop table patients`.execute(trx);
      await sql`alter table patients_rebuilt rename to patients`.execute(trx);
      const highWater = sequence[0]?.seq;
      if (highWater !== undefined) {
        const { rows: copied } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'patients'`.execute(trx);
        await sql`delete from sqlite_sequence where name = 'patients'`.execute(trx);
        // A bound JavaScript number would be stored as a real (10.0): cast it back to SQLite's integer.
        await sql`insert into sqlite_sequence (name, seq) values ('patients', cast(${Math.max(highWater, copied[0]?.seq ?? 0)} as integer))`.execute(trx);
      }
      if (index !== undefined) await index.execute(trx);
      const { rows: broken } = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.length > 0) throw new Error(`the patients table rebuild left ${broken.length} foreign key(s) broken`);
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

export class ReadingStationMigrationProvider implements MigrationProvider {
  readonly #dialect: DialectName;

  constructor(dialect: DialectName) {
    this.#dialect = dialect;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001_initial_schema': initialSchema(this.#dialect),
      '0002_registry_sync': registrySync,
      '0003_idp_identities': idpIdentities,
      '0004_audit_key_id': auditKeyId,
      '0006_hospital_relations': hospitalRelations,
      '0007_audit_served': auditServed,
      '0008_audit_forwarding': auditForwarding,
      '0009_patient_issuer_identity': patientIssuerIdentity(this.#dialect),
    };
  }
}

export function createMigrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({ db, provider: new ReadingStationMigrationProvider(dialectOf(db)) });
}

export class MigrationError extends Error {
  readonly migrationName: string | undefined;

  constructor(message: string, migrationName: string | undefined, cause: unknown) {
    super(message, { cause });
    this.name = 'MigrationError';
    this.migrationName = migrationName;
  }
}

/** Applies every pending migration; returns the names applied (empty when already current). */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  const { error, results = [] } = await createMigrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(
      failed === undefined ? `database migration failed: ${reason}` : `database migration ${failed} failed: ${reason}`,
      failed,
      error,
    );
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** Names of migrations not yet applied to this database. */
export async function pendingMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const migrations = await createMigrator(db).getMigrations();
  return migrations.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}
