import BetterSqlite3 from 'better-sqlite3';
import { isSessionFamilyRevoked } from './auth/refresh-tokens.ts';
import type { DatabaseConfig } from './config-schema.ts';
import type { RsDatabase } from './db/database.ts';
import type { StudyRow, UserRow } from './db/schema.ts';
import { findStudyByUid, isStudyInConflict, toStudy, type Study } from './studies/study-repository.ts';
import { findUserById, toUser, type User } from './users/user-repository.ts';

/**
 * The registry reads every gated request makes: the account behind its token, whether the token's
 * session was ended, the study it names and whether that StudyInstanceUID is in conflict. Nothing
 * here is cached: each call reads what is committed now, so a revoked session, a disabled account,
 * a changed role or assignment and a new conflict all take effect on the next request, from
 * whichever process (the admin CLI, another gate, the registry sync) committed them.
 */
export interface GateReads {
  userById(id: number): Promise<User | undefined>;
  isSessionRevoked(sessionId: string): Promise<boolean>;
  studyByUid(studyInstanceUid: string): Promise<Study | undefined>;
  isStudyInConflict(studyInstanceUid: string): Promise<boolean>;
  close(): void;
}

/** The reads through Kysely on the registry's connection: PostgreSQL, `:memory:`, and tests. */
export function kyselyGateReads(db: RsDatabase): GateReads {
  return {
    userById: (id) => findUserById(db, id),
    isSessionRevoked: (sessionId) => isSessionFamilyRevoked(db, sessionId),
    studyByUid: (studyInstanceUid) => findStudyByUid(db, studyInstanceUid),
    isStudyInConflict: (studyInstanceUid) => isStudyInConflict(db, studyInstanceUid),
    close: () => undefined,
  };
}

/**
 * The same reads on a SQLite file, from a read-only connection of their own with statements
 * prepared once. Through Kysely each of them was a query built and compiled on every request,
 * queued behind the registry connection's mutex and run over several awaits: together most of the
 * gate's CPU per decision (bench/RESULTS.md). WAL lets this connection read beside the writers;
 * every statement runs in a transaction of its own and sees the last commit, never another
 * connection's uncommitted rows. The SQL is what Kysely compiles for the functions above, and a
 * test runs both implementations through the same changes.
 */
export function sqliteGateReads(filename: string, { busyTimeoutMs = 5000 }: { busyTimeoutMs?: number } = {}): GateReads {
  const database = new BetterSqlite3(filename, { readonly: true, fileMustExist: true });
  database.pragma(`busy_timeout = ${busyTimeoutMs}`);
  const user = database.prepare<[number], UserRow>('select * from "users" where "id" = ?');
  const revoked = database.prepare<[string], { id: string }>('select "id" from "refresh_tokens" where "family_id" = ? and "revoked_at" is not null limit 1');
  const study = database.prepare<[string], StudyRow>('select * from "studies" where "study_instance_uid" = ?');
  const conflict = database.prepare<[string], { orthanc_id: string }>('select "orthanc_id" from "study_conflicts" where "study_instance_uid" = ? limit 1');
  // Async like the Kysely reads, and a failure (a locked or missing file) a rejection, not a throw.
  return {
    userById: async (id) => {
      const row = user.get(id);
      return row === undefined ? undefined : toUser(row);
    },
    isSessionRevoked: async (sessionId) => revoked.get(sessionId) !== undefined,
    studyByUid: async (studyInstanceUid) => {
      const row = study.get(studyInstanceUid);
      return row === undefined ? undefined : toStudy(row);
    },
    isStudyInConflict: async (studyInstanceUid) => conflict.get(studyInstanceUid) !== undefined,
    close: () => database.close(),
  };
}

/** A SQLite file gets its own read connection; other stores read through the registry's. */
export function createGateReads(database: DatabaseConfig, db: RsDatabase): GateReads {
  return database.client === 'sqlite' && database.filename !== ':memory:' ? sqliteGateReads(database.filename) : kyselyGateReads(db);
}
