import type { Kysely } from 'kysely';
import type { ChangeAudit } from '../audit/audit-actor.ts';
import { appendAuditInTransaction } from '../audit/audit-log.ts';
import type { RsDatabase } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { RegistryError } from '../registry-error.ts';
import type { Role } from '../users/roles.ts';
import { normalizeUsername } from '../users/username.ts';
import { physicianNameKey } from './physician-name.ts';

// The hospital's data names the ordering physician as a DICOM person name (ReferringPhysicianName),
// not as an account. Admins keep a directory from those names to users; a study whose name is in
// it gets that user as its ordering physician when it is recorded, and mapping a name assigns the
// studies already recorded under it. Names nobody has mapped yet are listed for the admins.

/** Who may order a study (as for `study assign --ordering`). */
const ORDERING_ROLES: readonly Role[] = ['doctor', 'radiologist'];

export interface PhysicianMapping {
  /** The name's key (physicianNameKey). */
  dicomName: string;
  username: string;
  displayName: string;
  /** Studies recorded under this name. */
  studies: number;
}

export interface UnmappedPhysician {
  dicomName: string;
  studies: number;
}

function keyOf(dicomName: string): string {
  const key = physicianNameKey(dicomName);
  if (key === null || key.length > 200) throw new RegistryError('INVALID_PHYSICIAN_NAME', `invalid physician name ${JSON.stringify(dicomName)}: expected a DICOM person name such as FAMILY^GIVEN`);
  return key;
}

/** The user a ReferringPhysicianName key maps to, if any (inside the recording transaction). */
export async function mappedPhysician(db: Kysely<Database>, key: string | null): Promise<number | undefined> {
  if (key === null) return undefined;
  const row = await db.selectFrom('physician_directory').select('user_id').where('dicom_name', '=', key).executeTakeFirst();
  return row?.user_id;
}

/**
 * Maps a DICOM physician name to a user (a doctor or radiologist) and makes that user the ordering
 * physician of every study recorded under the name; audited in the same transaction.
 */
export async function mapPhysician(db: RsDatabase, dicomName: string, username: string, audit: ChangeAudit): Promise<PhysicianMapping> {
  const key = keyOf(dicomName);
  const name = normalizeUsername(username);
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'role', 'disabled', 'display_name']).where('username', '=', name).executeTakeFirst();
    if (user === undefined) throw new RegistryError('USER_NOT_FOUND', `no user "${name}"`);
    if (!ORDERING_ROLES.includes(user.role)) throw new RegistryError('ROLE_MISMATCH', `"${name}" is ${user.role} and cannot be an ordering physician (needs ${ORDERING_ROLES.join(' or ')})`);
    if (user.disabled !== 0) throw new RegistryError('USER_DISABLED', `"${name}" is disabled and cannot be an ordering physician`);
    const now = audit.now ?? new Date();
    const previous = await trx
      .selectFrom('physician_directory')
      .innerJoin('users', 'users.id', 'physician_directory.user_id')
      .select('users.username')
      .where('dicom_name', '=', key)
      .executeTakeFirst();
    await trx
      .insertInto('physician_directory')
      .values({ dicom_name: key, user_id: user.id, created_at: now.toISOString() })
      .onConflict((conflict) => conflict.column('dicom_name').doUpdateSet({ user_id: user.id, created_at: now.toISOString() }))
      .execute();
    const updated = await trx.updateTable('studies').set({ ordering_physician_id: user.id }).where('referring_physician_name', '=', key).executeTakeFirst();
    const studies = Number(updated.numUpdatedRows);
    await appendAuditInTransaction(
      trx,
      {
        ...audit.actor,
        action: 'PHYSICIAN_MAPPED',
        result: 'success',
        reason: `physician ${key}: ${previous?.username ?? '(unmapped)'} -> ${name}; ordering physician of ${studies} ${studies === 1 ? 'study' : 'studies'}`,
      },
      { ...(audit.keys !== undefined && { keys: audit.keys }), now },
    );
    return { dicomName: key, username: name, displayName: user.display_name, studies };
  });
}

/** The directory, by name, with how many recorded studies each name has. */
export async function listPhysicianDirectory(db: RsDatabase): Promise<PhysicianMapping[]> {
  const rows = await db
    .selectFrom('physician_directory')
    .innerJoin('users', 'users.id', 'physician_directory.user_id')
    .leftJoin('studies', 'studies.referring_physician_name', 'physician_directory.dicom_name')
    .select((eb) => ['physician_directory.dicom_name', 'users.username', 'users.display_name', eb.fn.count<number | string>('studies.id').as('study_count')])
    .groupBy(['physician_directory.dicom_name', 'users.username', 'users.display_name'])
    .orderBy('physician_directory.dicom_name')
    .execute();
  return rows.map((row) => ({ dicomName: row.dicom_name, username: row.username, displayName: row.display_name, studies: Number(row.study_count) }));
}

/** ReferringPhysicianNames of recorded studies that the directory does not map, most studies first. */
export async function listUnmappedPhysicians(db: RsDatabase): Promise<UnmappedPhysician[]> {
  const rows = await db
    .selectFrom('studies')
    .leftJoin('physician_directory', 'physician_directory.dicom_name', 'studies.referring_physician_name')
    .select((eb) => ['studies.referring_physician_name', eb.fn.countAll<number | string>().as('study_count')])
    .where('studies.referring_physician_name', 'is not', null)
    .where('physician_directory.dicom_name', 'is', null)
    .groupBy('studies.referring_physician_name')
    .orderBy('study_count', 'desc')
    .orderBy('studies.referring_physician_name')
    .execute();
  return rows.map((row) => ({ dicomName: row.referring_physician_name as string, studies: Number(row.study_count) }));
}
