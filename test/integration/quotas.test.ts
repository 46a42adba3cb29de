import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { redisReachable, redisTestEnv, TEST_REDIS_URL } from '../helpers/redis.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { postMultipart, signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { mailsTo } from '../helpers/mail.ts';
import { PNG } from '../helpers/multipart.ts';
import { atOnce, statusCounts } from '../helpers/parallel.ts';
import { openTicket } from '../helpers/tickets.ts';
import { attachmentBytesOf } from '../../src/features/tickets/quota.repository.ts';

/** A valid PNG of `size` bytes. */
const png = (size: number) => Buffer.concat([PNG, Buffer.alloc(size - PNG.length, 7)]);

for (const dialect of dialects()) {
  describe(`abuse quotas [${dialect}]`, () => {
    test('issue 12 reproduction: 50 parallel tickets from one client, at most TICKETS_PER_HOUR are opened; the refusal keeps the text; staff are exempt', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, { TICKETS_PER_HOUR: '5' });
      const { user, client } = await signedInAs(app, 'client', 'flood@example.com');
      await client.get('/tickets/new');
      const message = 'x'.repeat(20_000);
      const results = await atOnce(50, (i) =>
        client.post('/tickets', { subject: `Flood ${i}`, message, priority: 'normal' }),
      );
      assert.deepEqual(statusCounts(results), { 303: 5, 429: 45 });
      assert.equal((await db.selectFrom('tickets').selectAll().where('client_id', '=', user.id).execute()).length, 5);
      assert.ok(
        (await db.selectFrom('rate_limits').select('key').execute()).some((r) => r.key.startsWith('quota-tickets')),
        'counted in the shared database',
      );
      const refused = results.find((r) => r.statusCode === 429);
      assert.match(refused?.body ?? '', /You have opened 5 tickets in the last hour/);
      assert.match(refused?.body ?? '', /value="Flood \d+"/, 'the subject is kept in the form');
      assert.ok(refused?.body.includes(message), 'the message is kept in the form');

      const { client: agent } = await signedInAs(app, 'agent');
      for (let i = 0; i < 7; i++) {
        await openTicket(agent, { subject: `For the client ${i}`, client_email: 'flood@example.com' });
      }
      assert.equal(
        (await db.selectFrom('tickets').selectAll().where('client_id', '=', user.id).execute()).length,
        12,
        'staff are not counted',
      );
    });

    test('parallel replies: at most MESSAGES_PER_HOUR are added; staff are exempt', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, { MESSAGES_PER_HOUR: '3' });
      const { client } = await signedInAs(app, 'client');
      const id = await openTicket(client);
      await client.get(`/tickets/${id}`);
      const results = await atOnce(20, (i) => client.post(`/tickets/${id}/messages`, { message: `Reply ${i}` }));
      assert.deepEqual(statusCounts(results), { 303: 3, 429: 17 });
      const refused = results.find((r) => r.statusCode === 429);
      assert.match(refused?.body ?? '', /You have sent 3 messages in the last hour/);
      assert.match(refused?.body ?? '', /Reply \d+<\/textarea>/, 'the text is kept');
      const count = async () =>
        (
          await db
            .selectFrom('ticket_messages')
            .selectAll()
            .where('ticket_id', '=', id)
            .where('kind', '=', 'message')
            .execute()
        ).length;
      assert.equal(await count(), 1 + 3);
      const { client: agent } = await signedInAs(app, 'agent');
      await agent.get(`/tickets/${id}`);
      for (let i = 0; i < 5; i++) {
        assert.equal((await agent.post(`/tickets/${id}/messages`, { message: `Staff ${i}` })).statusCode, 303);
      }
      assert.equal(await count(), 1 + 3 + 5);
    });

    test('parallel uploads cannot pass the storage quota; deleting a ticket gives its bytes back', async (t) => {
      const size = 10_000;
      const { app, db } = await buildTestApp(t, dialect, {
        ATTACHMENT_QUOTA_BYTES: String(3 * size + 500),
        TICKETS_PER_HOUR: '100',
        MESSAGES_PER_HOUR: '100',
      });
      const { user, client } = await signedInAs(app, 'client');
      const id = await openTicket(client);
      await client.get(`/tickets/${id}`);
      const results = await atOnce(20, (i) =>
        postMultipart(client, `/tickets/${id}/messages`, { message: `File ${i}` }, [
          { name: `f${i}.png`, data: png(size) },
        ]),
      );
      assert.deepEqual(statusCounts(results), { 303: 3, 413: 17 });
      const refused = results.find((r) => r.statusCode === 413);
      assert.match(refused?.body ?? '', /storage allowance/);
      assert.match(refused?.body ?? '', /File \d+<\/textarea>/, 'the text is kept');
      const stored = await db.selectFrom('attachments').select('size').execute();
      assert.equal(stored.length, 3);
      assert.equal(await attachmentBytesOf(db, user.id), 3 * size, 'the counter matches what is stored');
      assert.equal(
        (await db.selectFrom('ticket_messages').selectAll().where('ticket_id', '=', id).execute()).filter((m) =>
          m.body.startsWith('File'),
        ).length,
        3,
        'a refused upload saves no message either',
      );

      // A new ticket with a file is refused whole, and the text comes back.
      await client.get('/tickets/new');
      const full = await postMultipart(
        client,
        '/tickets',
        { subject: 'One more', message: 'Keep me', priority: 'normal' },
        [{ name: 'g.png', data: png(size) }],
      );
      assert.equal(full.statusCode, 413);
      assert.match(full.body, /Keep me/);
      assert.equal((await db.selectFrom('tickets').selectAll().execute()).length, 1);

      const { client: admin } = await signedInAs(app, 'administrator');
      await admin.get(`/tickets/${id}/delete`);
      assert.equal((await admin.post(`/tickets/${id}/delete`)).statusCode, 303);
      assert.equal(await attachmentBytesOf(db, user.id), 0);
      const again = await postMultipart(
        client,
        '/tickets',
        { subject: 'Room again', message: 'm', priority: 'normal' },
        [{ name: 'h.png', data: png(size) }],
      );
      assert.equal(again.statusCode, 303, again.body.slice(0, 300));
    });

    test('staff emails from one client are capped per hour: then one notice, then nothing; every ticket is still in the portal', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, {
        STAFF_NOTIFICATIONS_PER_HOUR: '3',
        TICKETS_PER_HOUR: '100',
        MESSAGES_PER_HOUR: '100',
      });
      await createUser(app, { role: 'agent', email: 'agent1@example.com' });
      await createUser(app, { role: 'administrator', email: 'admin1@example.com' });
      const { client } = await signedInAs(app, 'client', 'noisy@example.com');
      await client.get('/tickets/new');
      const results = await atOnce(12, (i) =>
        client.post('/tickets', { subject: `Noise ${i}`, message: 'm', priority: 'normal' }),
      );
      assert.deepEqual(statusCounts(results), { 303: 12 });
      const id = Number(String(results[0]?.headers.location).split('/').pop());
      await client.get(`/tickets/${id}`);
      await atOnce(5, (i) => client.post(`/tickets/${id}/messages`, { message: `More ${i}` }));
      for (const staff of ['agent1@example.com', 'admin1@example.com']) {
        const kinds = (await mailsTo(db, staff)).map((m) => m.kind);
        assert.equal(
          kinds.filter((k) => k === 'ticket.ticket_opened' || k === 'ticket.client_replied').length,
          3,
          `${staff}: ${kinds.join(',')}`,
        );
        assert.equal(kinds.filter((k) => k === 'ticket.client_quieted').length, 1, `${staff}: one notice`);
      }
      assert.equal((await db.selectFrom('tickets').selectAll().execute()).length, 12);
      // Another client is counted apart.
      const { client: other } = await signedInAs(app, 'client');
      await openTicket(other);
      assert.equal(
        (await mailsTo(db, 'agent1@example.com')).filter((m) => m.kind === 'ticket.ticket_opened').length,
        4,
      );
    });
  });
}

describe('abuse quotas in Redis (REDIS_URL)', async () => {
  const reachable = await redisReachable();
  test(
    '50 parallel tickets from one client: at most TICKETS_PER_HOUR, counted in Redis',
    { skip: !reachable && `no Redis at ${TEST_REDIS_URL}` },
    async (t) => {
      const env = redisTestEnv(t);
      const redis = new Redis(TEST_REDIS_URL);
      t.after(() => redis.disconnect());
      const { app, db } = await buildTestApp(t, 'sqlite', { ...env, TICKETS_PER_HOUR: '5' });
      const { client } = await signedInAs(app, 'client');
      await client.get('/tickets/new');
      const results = await atOnce(50, (i) =>
        client.post('/tickets', { subject: `Flood ${i}`, message: 'm', priority: 'normal' }),
      );
      assert.deepEqual(statusCounts(results), { 303: 5, 429: 45 });
      assert.ok((await redis.keys(`${env.REDIS_KEY_PREFIX}quota-tickets*`)).length > 0, 'the counter lives in Redis');
      assert.equal(
        (await db.selectFrom('rate_limits').selectAll().execute()).filter((r) => r.key.startsWith('quota-tickets'))
          .length,
        0,
        'not in the database',
      );
    },
  );
});
