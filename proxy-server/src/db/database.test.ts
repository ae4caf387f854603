import BetterSqlite3 from 'better-sqlite3';
import { type Generated, Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cachingStatements } from './database.ts';

describe('cachingStatements', () => {
  let raw: BetterSqlite3.Database;
  afterEach(() => {
    if (raw.open) raw.close();
  });

  function open(capacity?: number) {
    raw = new BetterSqlite3(':memory:');
    raw.exec('create table t (id integer primary key, name text)');
    const prepare = vi.spyOn(raw, 'prepare');
    return { cache: cachingStatements(raw, capacity), prepare };
  }

  it('prepares a SQL text once and hands the same statement back', () => {
    const { cache, prepare } = open();
    const first = cache.prepare('select * from t where id = ?');
    const second = cache.prepare('select * from t where id = ?');
    const other = cache.prepare('select name from t');
    expect(second).toBe(first);
    expect(other).not.toBe(first);
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it('drops the least recently used statement beyond its capacity', () => {
    const { cache, prepare } = open(2);
    const a = cache.prepare('select 1');
    const b = cache.prepare('select 2');
    expect(cache.prepare('select 1')).toBe(a); // a is now the most recently used
    cache.prepare('select 3'); // evicts b
    expect(cache.prepare('select 1')).toBe(a);
    expect(cache.prepare('select 2')).not.toBe(b);
    expect(prepare).toHaveBeenCalledTimes(4);
  });

  it('gives a fresh statement while the cached one is still being iterated', () => {
    const { cache } = open();
    raw.exec("insert into t (name) values ('a'), ('b')");
    const text = 'select name from t order by id';
    const outer = cache.prepare(text);
    const seen: unknown[] = [];
    for (const row of outer.iterate([])) {
      const inner = cache.prepare(text);
      expect(inner).not.toBe(outer);
      seen.push(row, inner.all([]));
    }
    expect(seen).toEqual([{ name: 'a' }, [{ name: 'a' }, { name: 'b' }], { name: 'b' }, [{ name: 'a' }, { name: 'b' }]]);
    expect(cache.prepare(text)).toBe(outer);
  });

  it('answers through Kysely as the uncached handle does, across a schema change', async () => {
    const { cache } = open();
    const db = new Kysely<{ t: { id: Generated<number>; name: string; extra?: string | null } }>({ dialect: new SqliteDialect({ database: cache }) });
    await db.insertInto('t').values({ name: 'x' }).execute();
    const select = () => db.selectFrom('t').selectAll().where('name', '=', 'x').execute();
    expect(await select()).toEqual([{ id: 1, name: 'x' }]);
    await sql`alter table t add column extra text default 'e'`.execute(db);
    expect(await select()).toEqual([{ id: 1, name: 'x', extra: 'e' }]);
    await db.destroy();
    expect(raw.open).toBe(false);
  });
});
