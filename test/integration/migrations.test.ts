import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connect } from '../../src/db/connect.ts';
import { MIGRATION_LOCK_KEY, migrateToLatest } from '../../src/db/migrate.ts';
import { Migrator, sql } from 'kysely';
import { migrations } from '../../src/db/migrations/index.ts';
import { createTestDatabase } from '../helpers/build-app.ts';
import { dialects } from '../helpers/dialects.ts';

for (const dialect of dialects()) {
  describe(`migrations [${dialect}]`, () => {
    test('processes that start together migrate once and all succeed; a second run is a no-op', async (t) => {
      const testDb = await createTestDatabase(dialect);
      const conns = [1, 2, 3].map(() => connect(testDb.database, { poolSize: 2 }));
      t.after(async () => {
        await Promise.all(conns.map((c) => c.close()));
        await testDb.cleanup();
      });
      const results = await Promise.all(conns.map((c) => migrateToLatest(c)));
      const applied = results.flatMap((r) => r.results ?? []).filter((r) => r.status === 'Success');
      assert.equal(applied.length, Object.keys(migrations).length, 'each migration applied exactly once');
      const again = await migrateToLatest(conns[0]!);
      assert.equal(again.results?.length, 0);
      assert.equal(
        await conns[0]!.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
          .then((r) => Number(r.n)),
        0,
      );
    });

    test('2026_12_04_1400: the existing placeholder gets its flag (not an account that merely holds its address); client_updated_at is filled from the last entry that is not a note', async (t) => {
      const testDb = await createTestDatabase(dialect);
      const conn = connect(testDb.database, { poolSize: 1 });
      t.after(async () => {
        await conn.close();
        await testDb.cleanup();
      });
      const provider = { getMigrations: () => Promise.resolve(migrations) };
      const schema =
        dialect === 'postgres'
          ? (await sql<{ s: string }>`select current_schema() as s`.execute(conn.db)).rows[0]?.s
          : undefined;
      // Under the migration lock, as migrateToLatest does: Kysely's introspection reads every schema, and another test
      // file's cleanup drops its schema only while holding this lock (poolSize 1: the lock and the migration share a session).
      if (dialect === 'postgres') {
        await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn.db);
      }
      const before = await new Migrator({
        db: conn.db,
        provider,
        ...(schema ? { migrationTableSchema: schema } : {}),
      })
        .migrateTo('2026_11_28_1500_search_words_and_owner')
        .finally(async () => {
          if (dialect === 'postgres') {
            await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn.db);
          }
        });
      assert.equal(before.error, undefined);
      const user = (email: string, disabled: boolean, verified: boolean) => ({
        email,
        name: '',
        password_hash: 'x',
        role: 'client' as const,
        email_verified_at: verified ? 1 : null,
        disabled_at: disabled ? 1 : null,
        created_at: 1,
        updated_at: 1,
        last_login_at: null,
      });
      // An older database holds either the app's placeholder or, if someone registered first, a verified account.
      await conn.db
        .insertInto('users')
        .values([user('deleted-user@parapet.invalid', true, false), user('other@example.com', true, false)])
        .execute();
      // Tickets as an older version wrote them: a note newer than the last message, an event, and no entries at all.
      const clientId = (
        await conn.db
          .selectFrom('users')
          .select('id')
          .where('email', '=', 'other@example.com')
          .executeTakeFirstOrThrow()
      ).id;
      const ticket = async (createdAt: number, entries: Array<[string, number]>) => {
        const { rows } = await sql<{
          id: number;
        }>`insert into tickets (client_id, subject, status, priority, message_count, created_at, updated_at)
          values (${clientId}, 'x', 'awaiting_staff', 'normal', 1, ${createdAt}, ${Math.max(createdAt, ...entries.map((e) => e[1]))}) returning id`.execute(
          conn.db,
        );
        const id = Number(rows[0]?.id);
        for (const [kind, at] of entries) {
          await conn.db
            .insertInto('ticket_messages')
            .values({
              ticket_id: id,
              author_id: null,
              kind: kind as 'message',
              body: 'b',
              created_at: at,
              ...(dialect === 'postgres' ? { client_id: clientId } : {}),
            })
            .execute();
        }
        return id;
      };
      const withNote = await ticket(100, [
        ['message', 100],
        ['message', 200],
        ['note', 900],
      ]);
      const withEvent = await ticket(100, [
        ['message', 100],
        ['event', 300],
        ['note', 250],
      ]);
      const empty = await ticket(50, []);
      await migrateToLatest(conn);
      const activity = await conn.db
        .selectFrom('tickets')
        .select(['id', 'updated_at', 'client_updated_at'])
        .orderBy('id')
        .execute();
      assert.deepEqual(activity, [
        { id: withNote, updated_at: 900, client_updated_at: 200 },
        { id: withEvent, updated_at: 300, client_updated_at: 300 },
        { id: empty, updated_at: 50, client_updated_at: 50 },
      ]);
      const flags = await conn.db.selectFrom('users').select(['email', 'is_placeholder']).orderBy('email').execute();
      assert.deepEqual(flags, [
        { email: 'deleted-user@parapet.invalid', is_placeholder: 1 },
        { email: 'other@example.com', is_placeholder: 0 },
      ]);
      await assert.rejects(
        conn.db
          .insertInto('users')
          .values({ ...user('second@parapet.invalid', true, false), is_placeholder: 1 })
          .execute(),
        'at most one placeholder',
      );
    });

    test('SQLite runs in WAL mode with foreign keys on', { skip: dialect !== 'sqlite' }, async (t) => {
      const testDb = await createTestDatabase('sqlite');
      const conn = connect(testDb.database);
      t.after(async () => {
        await conn.close();
        await testDb.cleanup();
      });
      await migrateToLatest(conn);
      const { sql } = await import('kysely');
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(conn.db);
      assert.equal(mode.rows[0]?.journal_mode, 'wal');
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(conn.db);
      assert.equal(fk.rows[0]?.foreign_keys, 1);
    });
  });
}
