import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Migrator, sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { migrations } from '../../src/db/migrations/index.ts';
import type { User } from '../../src/db/database.ts';
import { deleteUser } from '../../src/features/admin/users.service.ts';
import { indexText, listTickets, subjectRowId } from '../../src/features/tickets/ticket.repository.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { insertTickets, openTicket, postMessage } from '../helpers/tickets.ts';

type App = Awaited<ReturnType<typeof buildTestApp>>;

/** Carol's and Dave's tickets, with a staff reply and an internal note; returns the ids by letter. */
async function seed(app: App['app']) {
  const carol = await signedInAs(app, 'client');
  const dave = await signedInAs(app, 'client');
  const agent = await signedInAs(app, 'agent');
  const A = await openTicket(carol.client, {
    subject: 'Payment failed',
    message: 'The card was declined at checkout.',
  });
  const B = await openTicket(carol.client, {
    subject: 'Invoice question',
    message: 'Our invoice INV-2024-00017 shows the wrong VAT number.',
  });
  const C = await openTicket(carol.client, {
    subject: 'Office move',
    message: 'We moved to Zürich: please update the address. Contact: ops@example.com',
  });
  const D = await openTicket(carol.client, { subject: 'Payments page', message: 'The payments page is slow.' });
  const E = await openTicket(dave.client, {
    subject: 'Payment reminder',
    message: 'A payment is overdue; the card was declined. Zebrafish.',
  });
  await postMessage(agent.client, B, 'We will correct the invoice this week.');
  await postMessage(agent.client, B, 'Zebrafish: internal remark about the payment.', { internal: true });
  return { carol: carol.user, dave: dave.user, agent: agent.user, ids: { A, B, C, D, E } };
}

for (const dialect of dialects()) {
  describe(`search [${dialect}]`, () => {
    test('whole words, * for a prefix, every word required, no query syntax; clients find only their own messages', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { carol, dave, agent, ids } = await seed(app);
      const letters = Object.fromEntries(Object.entries(ids).map(([letter, id]) => [id, letter]));
      const search = async (user: User, q: string) => {
        const { rows } = await listTickets(db, dialect, user, { q }, 1);
        return rows
          .map((r) => letters[r.id] ?? `#${r.id}`)
          .sort()
          .join('');
      };
      // [query, what Carol finds, what staff find]: the same on SQLite and PostgreSQL.
      const cases: Array<[string, string, string]> = [
        ['payment', 'A', 'ABE'],
        ['PAYMENT', 'A', 'ABE'],
        ['payments', 'D', 'D'],
        ['pay*', 'AD', 'ABDE'],
        ['payment*', 'AD', 'ABDE'],
        ['pay', '', ''],
        ['declined checkout', 'A', 'A'],
        ['declined card', 'A', 'AE'],
        ['invoice slow', '', ''],
        ['invoice', 'B', 'B'],
        ['correct', 'B', 'B'],
        ['zurich', 'C', 'C'],
        ['Zürich', 'C', 'C'],
        ['ZÜRICH', 'C', 'C'],
        ['2024', 'B', 'B'],
        ['00017', 'B', 'B'],
        ['inv', 'B', 'B'],
        ['example', 'C', 'C'],
        ['ops', 'C', 'C'],
        ['zebrafish', '', 'BE'],
        ['reminder', '', 'E'],
        ['overdue', '', 'E'],
        // Operators and punctuation only separate words.
        ['"payment"', 'A', 'ABE'],
        ['-payment', 'A', 'ABE'],
        ['payment OR invoice', '', ''],
        ['payment | invoice', '', ''],
        ['NEAR(payment failed)', '', ''],
        ['text:payment', '', ''],
        ['payment:*', 'A', 'ABE'],
        ['pay*ment', '', ''],
        ["' OR 1=1 --", '', ''],
        // Prefixes shorter than three characters are whole words.
        ['pa*', '', ''],
        // The owner tokens cannot be searched for.
        [`c${dave.id}`, '', ''],
        [`@c${dave.id}`, '', ''],
        [`owner:c${dave.id}`, '', ''],
        [`owner : c${carol.id} payment`, '', ''],
      ];
      for (const [q, client, staff] of cases) {
        assert.equal(await search(carol, q), client, `Carol searches ${q}`);
        assert.equal(await search(agent, q), staff, `staff search ${q}`);
      }
      assert.equal(await search(dave, 'zebrafish'), 'E', 'a client finds its own messages');
      assert.equal(await search(dave, 'invoice'), '', "never another client's");
      assert.equal(await search(dave, 'payment'), 'E');
      for (const q of ['*', '"', '--', '()']) {
        assert.deepEqual(await listTickets(db, dialect, carol, { q }, 1), { rows: [], total: 0, capped: false }, q);
      }
    });

    test('staff pages of a search are the same with and without filters that keep every ticket', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const client = await createUser(app, { role: 'client' });
      const agent = await createUser(app, { role: 'agent' });
      const now = clock.now();
      for (let i = 0; i < 60; i++) {
        // Activity order differs from creation order, so the page is not simply the newest ids.
        const [id = 0] = await insertTickets(db, client, 1, now, () => ({
          subject: `Walrus ${i}`,
          createdAt: now,
          updatedAt: now - ((i * 7) % 60) * 1000,
        }));
        await indexText(db, dialect, { rowid: subjectRowId(id), text: `Walrus ${i}`, clientId: client.id });
      }
      for (const page of [1, 2, 3, 4]) {
        const plain = await listTickets(db, dialect, agent, { q: 'walrus' }, page);
        const filtered = await listTickets(db, dialect, agent, { q: 'walrus', status: 'awaiting_staff' }, page);
        assert.deepEqual(
          plain.rows.map((r) => r.id),
          filtered.rows.map((r) => r.id),
          `page ${page}`,
        );
        assert.equal(plain.rows.length, [25, 25, 10, 0][page - 1]);
        assert.equal(plain.total, page === 4 ? filtered.total : 60);
      }
    });

    test("a deleted client's kept tickets move in the index with them", async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { carol, dave, ids } = await seed(app);
      const placeholder = await createUser(app, { role: 'client' });
      await db.transaction().execute((trx) => deleteUser(trx, dialect, carol, true, placeholder.id));
      const found = async (user: User, q: string) =>
        (await listTickets(db, dialect, user, { q }, 1)).rows.map((r) => r.id).sort((a, b) => a - b);
      assert.deepEqual(await found(placeholder, 'payment'), [ids.A]);
      assert.deepEqual(await found(placeholder, 'correct'), [ids.B], 'staff replies too');
      assert.deepEqual(await found(placeholder, 'zebrafish'), [], 'notes still not');
      assert.deepEqual(await found(dave, 'payment'), [ids.E]);
      if (dialect === 'sqlite') {
        const stale = await sql<{
          n: number;
        }>`select count(*) as n from ticket_fts where ticket_fts match ${`owner : c${carol.id}`}`.execute(db);
        assert.equal(Number(stale.rows[0]?.n), 0);
      }
    });

    test('the migration indexes existing tickets with their owner, and reverts', async (t) => {
      const { app, db, conn } = await buildTestApp(t, dialect);
      const { carol, agent, ids } = await seed(app);
      const names = Object.keys(migrations);
      const migrator = new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve(migrations) },
        ...(dialect === 'postgres'
          ? {
              migrationTableSchema:
                (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s ?? 'public',
            }
          : {}),
      });
      // Back to just before the search migration (later migrations are undone too), then forward again.
      const down = await migrator.migrateTo(names[names.indexOf('2026_11_28_1500_search_words_and_owner') - 1]!);
      assert.equal(down.error, undefined);
      // Before: every word is a prefix on SQLite; nothing knows the owner.
      if (dialect === 'sqlite') {
        const rows = await sql<{
          n: number;
        }>`select count(*) as n from ticket_fts where ticket_fts match 'payment*' and visible = 1`.execute(db);
        assert.equal(Number(rows.rows[0]?.n), 5, 'subjects A, D, E and the messages of D and E');
      }
      await migrateToLatest(conn);
      const found = async (user: User, q: string) =>
        (await listTickets(db, dialect, user, { q }, 1)).rows.map((r) => r.id).sort((a, b) => a - b);
      assert.deepEqual(await found(carol, 'payment'), [ids.A]);
      assert.deepEqual(await found(carol, 'pay*'), [ids.A, ids.D]);
      assert.deepEqual(await found(carol, 'zebrafish'), []);
      assert.deepEqual(await found(agent, 'zebrafish'), [ids.B, ids.E]);
    });
  });
}
