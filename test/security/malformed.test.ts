import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { multipartBody, PNG } from '../helpers/multipart.ts';
import { openTicket, postMessage } from '../helpers/tickets.ts';

/** A small seeded PRNG (mulberry32), so a failing fuzz run can be replayed with FUZZ_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SNIPPETS = [
  "'",
  '"',
  '<script>',
  '%00',
  '\u0000',
  '\uFFFF',
  '\uD800',
  '😀',
  '‮',
  'é',
  '\r\n',
  '../',
  '%',
  '_',
  '\\',
  '{{',
  '${',
  '; DROP TABLE users;',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '99999999999999999999',
  '1e309',
  '[]',
  '{}',
];
const FIELDS = [
  '_csrf',
  'email',
  'password',
  'password_confirm',
  'current_password',
  'subject',
  'message',
  'priority',
  'category',
  'client_email',
  'internal',
  'assignee',
  'token',
  'code',
  'old_code',
  'sealed',
  'next',
  'name',
  'role',
  'tickets',
  'ip',
  'attachments',
];

/** Invariants that a half-written change would break. */
async function assertConsistent(app: FastifyInstance) {
  const orphanTickets = await app.db
    .selectFrom('tickets as t')
    .select('t.id')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('ticket_messages as m')
            .select('m.id')
            .whereRef('m.ticket_id', '=', 't.id')
            .where('m.kind', '=', 'message'),
        ),
      ),
    )
    .execute();
  assert.deepEqual(orphanTickets, [], 'every ticket has its first message');
  const counts = await app.db
    .selectFrom('tickets as t')
    .select(['t.id', 't.message_count'])
    .select((eb) =>
      eb
        .selectFrom('ticket_messages as m')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('m.ticket_id', '=', 't.id')
        .where('m.kind', '=', 'message')
        .as('actual'),
    )
    .execute();
  for (const row of counts) {
    assert.equal(Number(row.actual), row.message_count, `ticket ${row.id} message_count`);
  }
  const blobless = await app.db
    .selectFrom('attachments as a')
    .select('a.id')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('attachment_blobs as b').select('b.attachment_id').whereRef('b.attachment_id', '=', 'a.id'),
        ),
      ),
    )
    .execute();
  assert.deepEqual(blobless, [], 'every attachment has its bytes');
}

for (const dialect of dialects()) {
  describe(`malformed input [${dialect}]`, () => {
    test('oversized bodies and fields, invalid UTF-8, wrong content types, duplicated and nested parameters: always 4xx', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      await client.get('/tickets/new');
      const token = client.csrfToken();
      const form = (body: string | Buffer, type = 'application/x-www-form-urlencoded') =>
        client.request({ method: 'POST', url: '/tickets', payload: body, headers: { 'content-type': type } });
      const cases: Array<[string, Promise<{ statusCode: number }>]> = [
        ['2 MiB body', form(`_csrf=${token}&subject=x&message=${'a'.repeat(2 * 1024 * 1024)}`)],
        ['huge field', form(`_csrf=${token}&subject=${'s'.repeat(5000)}&message=m&priority=normal`)],
        [
          'invalid UTF-8',
          form(
            Buffer.concat([
              Buffer.from(`_csrf=${token}&subject=`),
              Buffer.from([0xc3, 0x28, 0xff]),
              Buffer.from('&message=m&priority=normal'),
            ]),
          ),
        ],
        ['bad percent-encoding', form(`_csrf=${token}&subject=%E0%A4%A&message=%ZZ&priority=normal`)],
        ['duplicated parameter', form(`_csrf=${token}&subject=a&subject=b&message=m&priority=normal`)],
        ['nested parameter', form(`_csrf=${token}&subject[x]=a&message[y][z]=m&priority=normal`)],
        ['text/plain', form('subject=a', 'text/plain')],
        ['xml', form('<a/>', 'application/xml')],
        ['broken JSON', form('{"subject":', 'application/json')],
        ['JSON array', form('[1,2,3]', 'application/json')],
        [
          'JSON with objects',
          form(
            JSON.stringify({ _csrf: token, subject: { $ne: 1 }, message: ['m'], priority: 'normal' }),
            'application/json',
          ),
        ],
        ['multipart without boundary', form('--x\r\n', 'multipart/form-data')],
        [
          'truncated multipart',
          form(
            `--b\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--b\r\nContent-Disposition: form-data; name="subject"\r\n\r\nx`,
            'multipart/form-data; boundary=b',
          ),
        ],
      ];
      for (const [name, pending] of cases) {
        const res = await pending;
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${name}: ${res.statusCode}`);
      }
      // A multipart form with an oversized file.
      const big = multipartBody({ _csrf: token, subject: 's', message: 'm', priority: 'normal' }, [
        { name: 'big.png', data: Buffer.concat([PNG, Buffer.alloc(11 * 1024 * 1024)]) },
      ]);
      const res = await client.request({
        method: 'POST',
        url: '/tickets',
        payload: big.payload,
        headers: { 'content-type': big.contentType },
      });
      assert.ok(res.statusCode === 413 || res.statusCode === 400, `oversized file: ${res.statusCode}`);
      assert.equal((await app.db.selectFrom('tickets').selectAll().execute()).length, 0, 'nothing was saved');
    });

    test('huge headers and URLs are refused by the server before the app', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      const send = (path: string, headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
      // Node answers 431 and closes; depending on timing the client sees the status or a reset.
      const huge = await send('/login', { cookie: `x=${'a'.repeat(40_000)}` }).catch((error: Error) => error.message);
      assert.ok(huge === 431 || /hang up|ECONNRESET/.test(String(huge)), String(huge));
      const long = await send(`/tickets?q=${'a'.repeat(20_000)}`, {}).catch(() => 431);
      assert.ok(long === 414 || long === 431 || long === 400 || long === 303, String(long));
      assert.equal(await send('/login', {}), 200, 'the server is fine afterwards');
    });

    test('a fuzz pass of random form submissions to every POST route: never a 5xx, never a half-written row', async (t) => {
      // With a Mailgun signing key, so that the webhooks (which exist only then) are fuzzed too.
      const { app } = await buildTestApp(t, dialect, {
        MAILGUN_WEBHOOK_SIGNING_KEY: 'fuzz-mailgun-signing-key-0123456789',
        SUPPORT_ADDRESS: 'support@example.com',
      });
      const seed = Number(process.env.FUZZ_SEED ?? 20261128);
      const rand = prng(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
      const value = (): string => {
        const kind = rand();
        if (kind < 0.15) {
          return '';
        }
        if (kind < 0.35) {
          return pick(SNIPPETS);
        }
        if (kind < 0.45) {
          return 'x'.repeat(Math.floor(rand() * 30_000));
        }
        if (kind < 0.55) {
          return String(Math.floor(rand() * 1e6));
        }
        const length = Math.floor(rand() * 80);
        return Array.from({ length }, () =>
          rand() < 0.9
            ? String.fromCharCode(32 + Math.floor(rand() * 95))
            : String.fromCodePoint(Math.floor(rand() * 0x2ffff)),
        ).join('');
      };

      const adminUser = await createUser(app, { role: 'administrator' });
      const admin = new TestClient(app, { remoteAddress: '10.7.0.1' });
      await admin.signIn(adminUser);
      const ownerUser = await createUser(app);
      const owner = new TestClient(app, { remoteAddress: '10.7.0.2' });
      await owner.signIn(ownerUser);
      const ticket = await openTicket(owner);
      await postMessage(owner, ticket, 'with file', { files: [{ name: 'a.png', data: PNG }] });
      const anonymous = new TestClient(app, { remoteAddress: '10.7.0.3' });
      await anonymous.get('/login');

      const posts = app.routeTable.filter((r) => r.method === 'POST' && r.url !== '/logout');
      const runs = Number(process.env.FUZZ_RUNS ?? 2000);
      let served = 0;
      for (let i = 0; i < runs; i++) {
        const route = pick(posts);
        const caller =
          route.access === 'public'
            ? anonymous
            : route.access === 'administrator' || route.access === 'staff'
              ? admin
              : owner;
        const url = route.url
          .replace(
            ':id',
            String(
              rand() < 0.7 ? (route.url.startsWith('/admin') ? ownerUser.id : ticket) : Math.floor(rand() * 1e9) - 1000,
            ),
          )
          .replace(':attachmentId', '1')
          .replace(':ref', value().slice(0, 30) || 'x');
        const fields: Record<string, string> = {};
        for (let f = 0, n = 1 + Math.floor(rand() * 6); f < n; f++) {
          const name =
            rand() < 0.9 ? pick(FIELDS) : rand() < 0.5 ? `${pick(FIELDS)}[${pick(FIELDS)}]` : value().slice(0, 20);
          fields[name] = value();
        }
        fields._csrf = rand() < 0.9 ? (caller.lastToken ?? '') : value();
        let res;
        const mode = rand();
        if (mode < 0.75) {
          const body =
            new URLSearchParams(fields).toString() +
            (rand() < 0.2 ? `&${pick(FIELDS)}=${encodeURIComponent(value().toWellFormed())}&${pick(FIELDS)}=%` : '');
          res = await caller.request({
            method: 'POST',
            url,
            payload: body,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          });
        } else if (mode < 0.9) {
          const files =
            rand() < 0.5
              ? [{ name: value().slice(0, 40) || 'f', data: rand() < 0.5 ? PNG : Buffer.from(value()) }]
              : [];
          // As a browser sends the forms: the token is the first part (a later one is refused unread).
          const body = multipartBody({ _csrf: fields._csrf, ...fields }, files);
          res = await caller.request({
            method: 'POST',
            url,
            payload: body.payload,
            headers: { 'content-type': body.contentType },
          });
        } else {
          res = await caller.request({
            method: 'POST',
            url,
            payload: JSON.stringify(rand() < 0.5 ? fields : [fields, value()]),
            headers: { 'content-type': 'application/json' },
          });
        }
        assert.ok(
          res.statusCode < 500,
          `seed ${seed} run ${i}: POST ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`,
        );
        served += 1;
        if (res.statusCode === 303 || res.statusCode === 200) {
          await caller.get('/');
        }
      }
      assert.equal(served, runs);
      await assertConsistent(app);
    });
  });
}
