import { afterEach, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { hashRefreshToken, RefreshTokenStore } from './refresh-tokens.ts';

let temp: TempDatabase | undefined;
afterEach(async () => {
  await temp?.dispose();
  temp = undefined;
});

async function setup(now: () => Date = () => new Date()) {
  temp = await createTempDatabase();
  const user = await temp.db
    .insertInto('users')
    .values({ username: 'rad', display_name: 'Rad', role: 'radiologist', password_hash: 'x', created_at: new Date().toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { db: temp.db, userId: user.id, store: new RefreshTokenStore(temp.db, { ttlSeconds: 3600, now }) };
}

describe('RefreshTokenStore', () => {
  it('stores only a hash of the token', async () => {
    const { db, userId, store } = await setup();
    const issued = await store.issue(userId);
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await db.selectFrom('refresh_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toBe(hashRefreshToken(issued.token));
    expect(JSON.stringify(rows)).not.toContain(issued.token);
  });

  it('rotates: the successor works, in the same family', async () => {
    const { userId, store } = await setup();
    const first = await store.issue(userId);
    const rotated = await store.rotate(first.token);
    expect(rotated).toMatchObject({ ok: true, userId, familyId: first.familyId });
    if (!rotated.ok) return;
    expect(rotated.next.token).not.toBe(first.token);
    const again = await store.rotate(rotated.next.token);
    expect(again.ok).toBe(true);
  });

  it('reuse of a rotated token revokes the whole family', async () => {
    const { db, userId, store } = await setup();
    const first = await store.issue(userId);
    const rotated = await store.rotate(first.token);
    if (!rotated.ok) throw new Error('rotation failed');
    expect(await store.rotate(first.token)).toEqual({ ok: false, reason: 'reused', userId, familyId: first.familyId });
    // The thief's copy and the legitimate successor are both dead now.
    expect(await store.rotate(rotated.next.token)).toMatchObject({ ok: false, reason: 'revoked' });
    const live = await db.selectFrom('refresh_tokens').select('id').where('revoked_at', 'is', null).execute();
    expect(live).toEqual([]);
  });

  it('refuses unknown, malformed and expired tokens', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const { userId, store } = await setup(() => now);
    expect(await store.rotate('A'.repeat(43))).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.rotate("' or 1=1 --")).toEqual({ ok: false, reason: 'unknown' });
    const issued = await store.issue(userId);
    now = new Date(now.getTime() + 3601_000);
    expect(await store.rotate(issued.token)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('logout revokes the family; a disabled user cannot refresh', async () => {
    const { db, userId, store } = await setup();
    const a = await store.issue(userId);
    expect(await store.revokeFamilyOf(a.token)).toBe(userId);
    expect(await store.rotate(a.token)).toMatchObject({ ok: false, reason: 'revoked' });
    const b = await store.issue(userId);
    await db.updateTable('users').set({ disabled: 1 }).where('id', '=', userId).execute();
    expect(await store.rotate(b.token)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('revokes every session of a user', async () => {
    const { userId, store } = await setup();
    const a = await store.issue(userId);
    const b = await store.issue(userId);
    expect(await store.revokeAllForUser(userId)).toBe(2);
    expect(await store.rotate(a.token)).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await store.rotate(b.token)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  describe('session lifetime', () => {
    async function sessionStore(limits: { maxSessionSeconds: number; idleSeconds: number }) {
      let clock = Date.parse('2026-11-28T08:00:00Z');
      const base = await setup(() => new Date(clock));
      const store = new RefreshTokenStore(base.db, { ttlSeconds: 8 * 3600, now: () => new Date(clock), ...limits });
      return { ...base, store, advance: (seconds: number) => (clock += seconds * 1000) };
    }

    it('ends a session that keeps refreshing once it is older than the absolute cap, and revokes it', async () => {
      const { userId, store, advance } = await sessionStore({ maxSessionSeconds: 12 * 3600, idleSeconds: 1800 });
      let token = (await store.issue(userId)).token;
      // A refresh every 20 minutes: never idle, but the session is 12 h old at the 36th.
      for (let i = 1; i < 36; i++) {
        advance(1200);
        const next = await store.rotate(token);
        if (!next.ok) throw new Error(`refresh ${i} refused: ${next.reason}`);
        token = next.next.token;
        // A token never outlives the session's cap.
        expect(next.next.expiresAt.getTime()).toBeLessThanOrEqual(Date.parse('2026-11-28T20:00:00Z'));
      }
      advance(1200);
      const refused = await store.rotate(token);
      expect(refused).toMatchObject({ ok: false, reason: 'session_limit', userId });
      expect(await store.rotate(token)).toMatchObject({ ok: false, reason: 'revoked' });
    });

    it('ends a session that was not refreshed for the idle timeout', async () => {
      const { userId, store, advance } = await sessionStore({ maxSessionSeconds: 12 * 3600, idleSeconds: 1800 });
      const issued = await store.issue(userId);
      advance(1799);
      const kept = await store.rotate(issued.token);
      expect(kept.ok).toBe(true);
      if (!kept.ok) return;
      advance(1800);
      expect(await store.rotate(kept.next.token)).toMatchObject({ ok: false, reason: 'idle', userId });
      expect(await store.isFamilyRevoked(issued.familyId)).toBe(true);
    });
  });
});
