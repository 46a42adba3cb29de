import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { ParapetSqliteDialect, withStatementCache } from '../../src/db/sqlite-statements.ts';

test('statements are prepared once and reused, least recently used evicted first', () => {
  const sqlite = new SQLite(':memory:');
  const cached = withStatementCache(sqlite, 2);
  const a = cached.prepare('select 1 as n');
  assert.equal(cached.prepare('select 1 as n'), a);
  const b = cached.prepare('select 2 as n');
  cached.prepare('select 1 as n'); // a is now the most recent
  cached.prepare('select 3 as n'); // evicts b
  assert.equal(cached.prepare('select 1 as n'), a);
  assert.notEqual(cached.prepare('select 2 as n'), b);
  cached.close();
});

test('a statement being iterated is not handed out again', () => {
  const sqlite = new SQLite(':memory:');
  const cached = withStatementCache(sqlite);
  const first = cached.prepare('select value from json_each(?)');
  const iterator = first.iterate(['[1,2,3]']);
  iterator.next();
  const second = cached.prepare('select value from json_each(?)');
  assert.notEqual(second, first);
  assert.deepEqual(second.all(['[4,5]']), [{ value: 4 }, { value: 5 }]);
  iterator.return?.();
  cached.close();
});

test('Kysely over the cache: same results with new parameters, and after the schema changes', async () => {
  const sqlite = new SQLite(':memory:');
  const db = new Kysely<{ t: { id: number; name: string } }>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
  await sql`create table t (id integer primary key, name text)`.execute(db);
  await db.insertInto('t').values({ id: 1, name: 'a' }).execute();
  await db.insertInto('t').values({ id: 2, name: 'b' }).execute();
  assert.deepEqual(await db.selectFrom('t').selectAll().where('id', '=', 1).execute(), [{ id: 1, name: 'a' }]);
  assert.deepEqual(await db.selectFrom('t').selectAll().where('id', '=', 2).execute(), [{ id: 2, name: 'b' }]);
  await sql`alter table t add column extra text default 'x'`.execute(db);
  const rows = await db.selectFrom('t').selectAll().where('id', '=', 2).execute();
  assert.deepEqual(rows, [{ id: 2, name: 'b', extra: 'x' }]);
  await db.destroy();
});

test('a transaction takes the write lock when it begins, so a write by another process cannot make it fail later', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'db.sqlite');
  const open = () => {
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 50');
    return {
      sqlite,
      db: new Kysely<{ t: { id: number; name: string } }>({
        dialect: new ParapetSqliteDialect({ database: withStatementCache(sqlite) }),
      }),
    };
  };
  const a = open();
  const b = open();
  await sql`create table t (id integer primary key, name text)`.execute(a.db);
  let otherWrite: unknown;
  await a.db.transaction().execute(async (trx) => {
    await trx.selectFrom('t').selectAll().execute();
    // Another process writes between this transaction's read and its write. With a deferred `begin` that write
    // would succeed and this transaction's insert would fail with "database is locked"; now the other one waits.
    try {
      b.sqlite.prepare("insert into t (name) values ('other')").run();
    } catch (error) {
      otherWrite = error;
    }
    await trx.insertInto('t').values({ id: 1, name: 'mine' }).execute();
  });
  assert.match(String(otherWrite), /database is locked/);
  assert.deepEqual(await b.db.selectFrom('t').selectAll().execute(), [{ id: 1, name: 'mine' }]);
  await a.db.destroy();
  await b.db.destroy();
});

test('a long queue of queries lets the event loop turn, so new requests and connections are not starved', async () => {
  const sqlite = new SQLite(':memory:');
  const db = new Kysely<{ t: { id: number; v: string } }>({
    dialect: new ParapetSqliteDialect({ database: withStatementCache(sqlite) }),
  });
  await sql`create table t (id integer primary key, v text)`.execute(db);
  sqlite
    .prepare(
      'with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000) insert into t select i, hex(randomblob(16)) from n',
    )
    .run();
  const started = performance.now();
  let turnedAfter = Number.POSITIVE_INFINITY;
  const queries = Array.from({ length: 200 }, () => sql`select count(*) as n from t where v like '%AB%'`.execute(db));
  setImmediate(() => (turnedAfter = performance.now() - started));
  await Promise.all(queries);
  const total = performance.now() - started;
  assert.ok(total > 60, `the queue should take a while (${total.toFixed(0)} ms)`);
  // Without the yield the immediate ran only after the whole queue (turnedAfter ≈ total).
  assert.ok(turnedAfter < total / 3, `the loop turned after ${turnedAfter.toFixed(0)} of ${total.toFixed(0)} ms`);
  await db.destroy();
});
