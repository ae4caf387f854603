import BetterSqlite3 from 'better-sqlite3';
import { isSessionFamilyRevoked } from './auth/refresh-tokens.ts';
import type { DatabaseConfig } from './config-schema.ts';
import type { RsDatabase } from './db/database.ts';
import type { StudyRow, UserRow } from './db/schema.ts';
import { findStudyByUid, isStudyInConflict, toStudy, type Study } from './studies/study-repository.ts';
import { findUserById, toUser, type User } from './users/user-repository.ts';

/** The account behind a token of the gate's own, and whether the token's session was ended. */
export interface AccountRead {
  user: User | undefined;
  /** False without a session, and when there is no such account (the token is refused anyway). */
  sessionRevoked: boolean;
}

/** A study of the registry, and whether Orthanc holds its StudyInstanceUID under more than one patient. */
export interface StudyRead {
  study: Study;
  inConflict: boolean;
}

/**
 * The registry reads every gated request makes: the account behind its token with whether the
 * token's session was ended, and the study it names with whether that StudyInstanceUID is in
 * conflict. Nothing here is cached: each call reads what is committed now, so a revoked session, a
 * disabled account, a changed role or assignment and a new conflict all take effect on the next
 * request, from whichever process (the admin CLI, another gate, the registry sync) committed them.
 */
export interface GateReads {
  account(userId: number, sessionId: string | undefined): Promise<AccountRead>;
  /** For an IdP's token, whose account is found by its issuer and subject instead. */
  isSessionRevoked(sessionId: string): Promise<boolean>;
  study(studyInstanceUid: string): Promise<StudyRead | undefined>;
  close(): void;
}

/** The reads through Kysely on the registry's connection: PostgreSQL, `:memory:`, and tests. */
export function kyselyGateReads(db: RsDatabase): GateReads {
  return {
    async account(userId, sessionId) {
      const user = await findUserById(db, userId);
      return { user, sessionRevoked: user !== undefined && sessionId !== undefined && (await isSessionFamilyRevoked(db, sessionId)) };
    },
    isSessionRevoked: (sessionId) => isSessionFamilyRevoked(db, sessionId),
    async study(studyInstanceUid) {
      const study = await findStudyByUid(db, studyInstanceUid);
      return study === undefined ? undefined : { study, inConflict: await isStudyInConflict(db, studyInstanceUid) };
    },
    close: () => undefined,
  };
}

/**
 * The same reads on a SQLite file, from a read-only connection of their own with statements
 * prepared once, two statements a decision. Through Kysely each lookup was a query built and
 * compiled on every request, queued behind the registry connection's mutex and run over several
 * awaits: together most of the gate's CPU per decision (bench/RESULTS.md). On this connection each
 * statement is a WAL read transaction of its own, which sees the last commit and never another
 * connection's uncommitted rows; a read transaction costs about as much as the lookup, so each
 * statement answers two questions. A test runs both implementations through the same changes.
 */
export function sqliteGateReads(filename: string, { busyTimeoutMs = 5000 }: { busyTimeoutMs?: number } = {}): GateReads {
  const database = new BetterSqlite3(filename, { readonly: true, fileMustExist: true });
  database.pragma(`busy_timeout = ${busyTimeoutMs}`);
  // Every column toUser reads; never the password hash.
  const account = database.prepare<[string | null, number], Omit<UserRow, 'password_hash'> & { session_revoked: number }>(
    `select "id", "username", "display_name", "role", "patient_id", "disabled", "created_at",
       exists(select 1 from "refresh_tokens" where "family_id" = ? and "revoked_at" is not null) as "session_revoked"
     from "users" where "id" = ?`,
  );
  const revoked = database.prepare<[string], { id: string }>('select "id" from "refresh_tokens" where "family_id" = ? and "revoked_at" is not null limit 1');
  const study = database.prepare<[string], StudyRow & { in_conflict: number }>(
    `select "studies".*, exists(select 1 from "study_conflicts" where "study_conflicts"."study_instance_uid" = "studies"."study_instance_uid") as "in_conflict"
     from "studies" where "study_instance_uid" = ?`,
  );
  // Async like the Kysely reads, and a failure (a locked or missing file) a rejection, not a throw.
  return {
    async account(userId, sessionId) {
      const row = account.get(sessionId ?? null, userId);
      if (row === undefined) return { user: undefined, sessionRevoked: false };
      const { session_revoked: sessionRevoked, ...user } = row;
      return { user: toUser(user), sessionRevoked: sessionRevoked === 1 };
    },
    isSessionRevoked: async (sessionId) => revoked.get(sessionId) !== undefined,
    async study(studyInstanceUid) {
      const row = study.get(studyInstanceUid);
      if (row === undefined) return undefined;
      const { in_conflict: inConflict, ...found } = row;
      return { study: toStudy(found), inConflict: inConflict === 1 };
    },
    close: () => database.close(),
  };
}

/** A SQLite file gets its own read connection; other stores read through the registry's. */
export function createGateReads(database: DatabaseConfig, db: RsDatabase): GateReads {
  return database.client === 'sqlite' && database.filename !== ':memory:' ? sqliteGateReads(database.filename) : kyselyGateReads(db);
}
