import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { RsDatabase } from '../db/database.ts';

/**
 * Opaque, rotating refresh tokens. Only a SHA-256 hash is stored. Each refresh marks the presented
 * token rotated and issues its successor in the same family; presenting a rotated token again
 * means it was copied, so the whole family is revoked (RFC 9700 §4.14.2).
 *
 * A family is one session (one login). It ends, whatever the tokens' own lifetime, when it is older
 * than `maxSessionSeconds` (an absolute cap) or was not refreshed for `idleSeconds` (idle timeout):
 * the next refresh is refused and the family revoked, so the client must ask for the password.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedRefreshToken {
  token: string;
  id: string;
  familyId: string;
  expiresAt: Date;
}

export type RotationResult =
  | { ok: true; userId: number; familyId: string; next: IssuedRefreshToken }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'idle' | 'session_limit'; userId?: number }
  | { ok: false; reason: 'reused'; userId: number; familyId: string };

/** Ends a session: every token of the family not yet revoked is revoked now. */
async function revokeFamily(db: Pick<RsDatabase, 'updateTable'>, familyId: string, now: Date): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: now.toISOString() }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
}

/** Whether a session (refresh-token family) was ended: its access tokens stop at their next request. */
export async function isSessionFamilyRevoked(db: RsDatabase, familyId: string): Promise<boolean> {
  const revoked = await db.selectFrom('refresh_tokens').select('id').where('family_id', '=', familyId).where('revoked_at', 'is not', null).limit(1).executeTakeFirst();
  return revoked !== undefined;
}

export class RefreshTokenStore {
  readonly #db: RsDatabase;
  readonly #ttlSeconds: number;
  readonly #maxSessionSeconds: number;
  readonly #idleSeconds: number;
  readonly #now: () => Date;

  constructor(db: RsDatabase, options: { ttlSeconds: number; maxSessionSeconds?: number; idleSeconds?: number; now?: () => Date }) {
    this.#db = db;
    this.#ttlSeconds = options.ttlSeconds;
    this.#maxSessionSeconds = options.maxSessionSeconds ?? Number.POSITIVE_INFINITY;
    this.#idleSeconds = options.idleSeconds ?? Number.POSITIVE_INFINITY;
    this.#now = options.now ?? (() => new Date());
  }

  async issue(userId: number, options: { familyId?: string; userAgent?: string | undefined } = {}): Promise<IssuedRefreshToken> {
    return this.#insert(this.#db, userId, options.familyId ?? randomUUID(), options.userAgent, this.#now());
  }

  async #insert(
    db: Pick<RsDatabase, 'insertInto'>,
    userId: number,
    familyId: string,
    userAgent: string | undefined,
    sessionStart: Date,
  ): Promise<IssuedRefreshToken> {
    const token = randomBytes(32).toString('base64url');
    const now = this.#now();
    // Never beyond the session's absolute cap (the refresh cookie's Max-Age follows this).
    const expiresAt = new Date(Math.min(now.getTime() + this.#ttlSeconds * 1000, sessionStart.getTime() + this.#maxSessionSeconds * 1000));
    const id = randomUUID();
    await db
      .insertInto('refresh_tokens')
      .values({
        id,
        family_id: familyId,
        user_id: userId,
        token_hash: hashRefreshToken(token),
        created_at: now.toISOString(),
        expires_at: expiresAt.toISOString(),
        rotated_at: null,
        revoked_at: null,
        replaced_by_id: null,
        user_agent: userAgent?.slice(0, 512) ?? null,
      })
      .execute();
    return { token, id, familyId, expiresAt };
  }

  /** Exchanges a refresh token for its successor, or says why not (revoking on reuse). */
  async rotate(token: string, options: { userAgent?: string | undefined } = {}): Promise<RotationResult> {
    if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'unknown' };
    const now = this.#now();
    return this.#db.transaction().execute(async (trx): Promise<RotationResult> => {
      const row = await trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hashRefreshToken(token)).executeTakeFirst();
      if (!row) return { ok: false, reason: 'unknown' };
      if (row.revoked_at !== null) return { ok: false, reason: 'revoked', userId: row.user_id };
      if (row.rotated_at !== null) {
        await revokeFamily(trx, row.family_id, now);
        return { ok: false, reason: 'reused', userId: row.user_id, familyId: row.family_id };
      }
      const first = await trx
        .selectFrom('refresh_tokens')
        .select((eb) => eb.fn.min('created_at').as('started_at'))
        .where('family_id', '=', row.family_id)
        .executeTakeFirstOrThrow();
      const sessionStart = new Date(first.started_at);
      const ended: 'idle' | 'session_limit' | undefined =
        now.getTime() - sessionStart.getTime() >= this.#maxSessionSeconds * 1000
          ? 'session_limit'
          : now.getTime() - new Date(row.created_at).getTime() >= this.#idleSeconds * 1000
            ? 'idle'
            : undefined;
      if (ended !== undefined) {
        await revokeFamily(trx, row.family_id, now);
        return { ok: false, reason: ended, userId: row.user_id };
      }
      if (new Date(row.expires_at).getTime() <= now.getTime()) return { ok: false, reason: 'expired', userId: row.user_id };
      const user = await trx.selectFrom('users').select(['disabled']).where('id', '=', row.user_id).executeTakeFirst();
      if (!user || user.disabled) return { ok: false, reason: 'revoked', userId: row.user_id };
      const next = await this.#insert(trx, row.user_id, row.family_id, options.userAgent, sessionStart);
      const updated = await trx
        .updateTable('refresh_tokens')
        .set({ rotated_at: now.toISOString(), replaced_by_id: next.id })
        .where('id', '=', row.id)
        .where('rotated_at', 'is', null)
        .executeTakeFirst();
      // Another request rotated the same token between our read and write: treat as reuse.
      if (Number(updated.numUpdatedRows) !== 1) throw new Error('refresh token rotated concurrently');
      return { ok: true, userId: row.user_id, familyId: row.family_id, next };
    });
  }

  /** Logout: revokes the token's whole family. Returns the user it belonged to, if any. */
  async revokeFamilyOf(token: string): Promise<number | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const row = await this.#db.selectFrom('refresh_tokens').select(['family_id', 'user_id']).where('token_hash', '=', hashRefreshToken(token)).executeTakeFirst();
    if (!row) return undefined;
    await revokeFamily(this.#db, row.family_id, this.#now());
    return row.user_id;
  }

  /** Whether a session (token family) has been ended: checked on every gated request. */
  async isFamilyRevoked(familyId: string): Promise<boolean> {
    return isSessionFamilyRevoked(this.#db, familyId);
  }

  /** Ends every session of a user (an administrator's revoke). */
  async revokeAllForUser(userId: number): Promise<number> {
    const result = await this.#db
      .updateTable('refresh_tokens')
      .set({ revoked_at: this.#now().toISOString() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
