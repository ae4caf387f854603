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
});
