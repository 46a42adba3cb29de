import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connect } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
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
      assert.equal(await conns[0]!.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow().then((r) => Number(r.n)), 0);
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
