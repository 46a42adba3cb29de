import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { simpleParser } from 'mailparser';
import { buildTestApp, type TestApp } from '../helpers/build-app.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { multipartBody, PNG } from '../helpers/multipart.ts';
import { atOnce, statusCounts } from '../helpers/parallel.ts';
import mailgunRoutes from '../../src/features/inbound/mailgun.routes.ts';

const KEY = 'key-0123456789abcdef-mailgun-signing';
const ENV = { MAILGUN_WEBHOOK_SIGNING_KEY: KEY, SUPPORT_ADDRESS: 'support@example.com' };

interface Signed {
  timestamp: string;
  token: string;
  signature: string;
}

/** Mailgun's signature: hex HMAC-SHA256 of timestamp + token under the webhook signing key. */
function sign(clockMs: number, key = KEY, token = randomBytes(25).toString('hex')): Signed {
  const timestamp = String(Math.floor(clockMs / 1000));
  return {
    timestamp,
    token,
    signature: createHmac('sha256', key)
      .update(timestamp + token)
      .digest('hex'),
  };
}

const CLIENT = 'Client One <client@example.org>';

/** The header list a parsed post carries in `message-headers`, Mailgun's verdicts appended last as Mailgun does. */
function messageHeaders(messageId: string, extra: Array<[string, string]> = []): Array<[string, string]> {
  return [
    ['Received', 'from mail.example.org by mxa.mailgun.org with ESMTP; Sat, 05 Dec 2026 10:00:00 +0000'],
    ['X-Envelope-From', '<client@example.org>'],
    ['DKIM-Signature', 'v=1; a=rsa-sha256; d=example.org; s=s1; h=from:subject; bh=x; b=y'],
    ['From', CLIENT],
    ['To', 'support@example.com'],
    ['Subject', 'Printer on fire'],
    ['Date', 'Sat, 05 Dec 2026 10:00:00 +0000'],
    ['Message-Id', `<${messageId}>`],
    ['Mime-Version', '1.0'],
    ['Content-Type', 'multipart/mixed; boundary="original"'],
    ...extra,
    ['X-Mailgun-Incoming', 'Yes'],
    ['X-Mailgun-Spf', 'Pass'],
    ['X-Mailgun-Dkim-Check-Result', 'Pass'],
  ];
}

function parsedFields(signed: Signed, messageId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    recipient: 'support@example.com',
    sender: 'client@example.org',
    from: CLIENT,
    subject: 'Printer on fire',
    'body-plain': 'Hello,\nthe printer is on fire. Grüße 🔥\n\n> old quoted text',
    'body-html': '<p>Hello,<br>the printer is <b>on fire</b>.</p><img src="cid:logo@x">',
    'stripped-text': 'Hello,\nthe printer is on fire.',
    'message-headers': JSON.stringify(messageHeaders(messageId)),
    'Message-Id': `<${messageId}>`,
    'attachment-count': '2',
    'content-id-map': JSON.stringify({ '<logo@x>': 'attachment-2' }),
    'X-Mailgun-Spf': 'Pass',
    ...signed,
    ...extra,
  };
}

const FILES = [
  { field: 'attachment-1', name: 'notes.txt', type: 'text/plain', data: Buffer.from('smoke everywhere\n') },
  { field: 'attachment-2', name: 'logo.png', type: 'image/png', data: PNG },
];

function postParsed(app: TestApp['app'], fields: Record<string, string>, files = FILES, url = '/inbound/mailgun') {
  const { payload, contentType } = multipartBody(fields, files);
  return app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });
}

/** A raw message in ISO-8859-1 (not valid UTF-8), as a MIME route posts it: url-encoded, the bytes percent-escaped. */
function rawMime(messageId: string, extraHeaders = ''): Buffer {
  return Buffer.concat([
    Buffer.from(
      'Received: by mxa.mailgun.org\r\n' +
        'From: Client One <client@example.org>\r\n' +
        'To: support@example.com\r\n' +
        'Subject: =?iso-8859-1?Q?Caf=E9?= order\r\n' +
        `Message-ID: <${messageId}>\r\n` +
        'MIME-Version: 1.0\r\n' +
        'Content-Type: text/plain; charset=iso-8859-1\r\n' +
        'Content-Transfer-Encoding: 8bit\r\n' +
        extraHeaders +
        'X-Mailgun-Spf: SoftFail\r\n' +
        '\r\n',
      'latin1',
    ),
    Buffer.from('Un caf\xe9, s\xfbrement.\r\n', 'latin1'),
  ]);
}

function urlencode(fields: Record<string, string | Buffer>): string {
  return Object.entries(fields)
    .map(([name, value]) => {
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
      const escaped = [...bytes].map((b) =>
        /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`,
      );
      return `${encodeURIComponent(name)}=${escaped.join('')}`;
    })
    .join('&');
}

function postMime(app: TestApp['app'], signed: Signed, raw: Buffer, url = '/inbound/mailgun/mime') {
  return app.inject({
    method: 'POST',
    url,
    payload: urlencode({
      recipient: 'support@example.com',
      sender: 'client@example.org',
      from: CLIENT,
      subject: 'Cafe order',
      'body-mime': raw,
      ...signed,
    }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

async function inbox(db: TestApp['db']) {
  return db.selectFrom('mail_inbox').selectAll().orderBy('id').execute();
}

async function replays(db: TestApp['db']) {
  return Number(
    (
      await db
        .selectFrom('webhook_replays')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

function setup(t: TestContext, dialect: 'sqlite' | 'postgres', env: Record<string, string> = {}) {
  return buildTestApp(t, dialect, { ...ENV, ...env });
}

function event(signed: Signed, data: Record<string, unknown>) {
  return { signature: signed, 'event-data': data };
}

const BOUNCE = {
  event: 'failed',
  severity: 'permanent',
  recipient: 'Gone@Example.net',
  reason: 'bounce',
  'delivery-status': { code: 550, message: '5.1.1 No such user', description: 'The mailbox does not exist' },
};

for (const dialect of dialects()) {
  describe(`Mailgun webhooks [${dialect}]`, () => {
    test('a signed parsed message (multipart, attachments, inline image) is stored once, rebuilt as MIME', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const res = await postParsed(app, parsedFields(sign(clock.now()), 'parsed-1@example.org'));
      assert.equal(res.statusCode, 200, res.body);
      const rows = await inbox(db);
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.equal(row.source, 'mailgun');
      assert.equal(row.status, 'pending');
      assert.equal(row.message_id, 'parsed-1@example.org');
      assert.deepEqual(JSON.parse(row.envelope ?? ''), {
        sender: 'client@example.org',
        recipient: 'support@example.com',
        spf: 'pass',
        dkim: 'pass',
      });
      const mail = await simpleParser(Buffer.from(row.raw));
      assert.equal(mail.messageId, '<parsed-1@example.org>');
      assert.equal(mail.subject, 'Printer on fire');
      assert.equal(mail.from?.value[0]?.address, 'client@example.org');
      assert.match(mail.text ?? '', /the printer is on fire\. Grüße 🔥/);
      assert.match(String(mail.html), /<b>on fire<\/b>/);
      const files = mail.attachments.sort((a, b) => String(a.filename).localeCompare(String(b.filename)));
      assert.deepEqual(
        files.map((a) => [a.filename, a.contentType, a.contentDisposition, a.cid ?? null]),
        [
          ['logo.png', 'image/png', 'inline', 'logo@x'],
          ['notes.txt', 'text/plain', 'attachment', null],
        ],
      );
      assert.deepEqual(files[0]?.content, PNG);
      assert.equal(files[1]?.content.toString(), 'smoke everywhere\n');
      // The original headers are kept in their order, and the body's own Content-Type replaces the original one.
      assert.equal(mail.headers.get('x-envelope-from'), '<client@example.org>');
      assert.doesNotMatch(Buffer.from(row.raw).toString('utf8'), /boundary="original"/);
    });

    test('a url-encoded parsed message (no attachments) on the same path is stored', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const fields = parsedFields(sign(clock.now()), 'parsed-2@example.org', {
        'attachment-count': '0',
        'content-id-map': '{}',
      });
      const res = await app.inject({
        method: 'POST',
        url: '/inbound/mailgun',
        payload: urlencode(fields),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.statusCode, 200, res.body);
      const mail = await simpleParser(Buffer.from((await inbox(db))[0]!.raw));
      assert.equal(mail.attachments.length, 0);
      assert.match(mail.text ?? '', /the printer is on fire/);
    });

    test('a MIME route posts body-mime: stored byte for byte, in its own charset', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const raw = rawMime('mime-1@example.org');
      const res = await postMime(app, sign(clock.now()), raw);
      assert.equal(res.statusCode, 200, res.body);
      const rows = await inbox(db);
      assert.equal(rows.length, 1);
      assert.deepEqual(Buffer.from(rows[0]!.raw), raw);
      assert.equal(rows[0]!.message_id, 'mime-1@example.org');
      // No DKIM-Signature in the message: Mailgun checked no DKIM, so there is no DKIM verdict.
      assert.deepEqual(JSON.parse(rows[0]!.envelope ?? ''), {
        sender: 'client@example.org',
        recipient: 'support@example.com',
        spf: 'softfail',
      });
      const mail = await simpleParser(Buffer.from(rows[0]!.raw));
      assert.equal(mail.subject, 'Café order');
      assert.match(mail.text ?? '', /Un café, sûrement/);
    });

    test('verdict headers the sender wrote never count: Mailgun appends its own last', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      // The sender forges a passing DKIM verdict without signing: no DKIM-Signature, so it is dropped; its own SPF
      // "Pass" above Mailgun's appended "Fail" loses to Mailgun's.
      const forged = rawMime(
        'forged-verdict@example.org',
        'X-Mailgun-Dkim-Check-Result: Pass\r\nX-Mailgun-Spf: Pass\r\n',
      ).toString('latin1');
      const raw = Buffer.from(forged.replace('X-Mailgun-Spf: SoftFail', 'X-Mailgun-Spf: Fail'), 'latin1');
      assert.equal((await postMime(app, sign(clock.now()), raw)).statusCode, 200);
      assert.deepEqual(JSON.parse((await inbox(db))[0]!.envelope ?? ''), {
        sender: 'client@example.org',
        recipient: 'support@example.com',
        spf: 'fail',
      });
    });

    test('the same request again is refused as a replay (406) and stores nothing', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const fields = parsedFields(sign(clock.now()), 'replay@example.org');
      assert.equal((await postParsed(app, fields)).statusCode, 200);
      const again = await postParsed(app, fields);
      assert.equal(again.statusCode, 406);
      // Even with another message under the captured signature: the token is spent.
      const other = await postParsed(app, { ...fields, 'message-headers': JSON.stringify(messageHeaders('x@y')) });
      assert.equal(other.statusCode, 406);
      assert.equal((await inbox(db)).length, 1);
    });

    test("Mailgun's redelivery (new token, same message) answers 200 and stores nothing new", async (t) => {
      const fresh = await setup(t, dialect);
      const first = await postMime(fresh.app, sign(fresh.clock.now()), rawMime('redelivered@example.org'));
      const second = await postMime(fresh.app, sign(fresh.clock.now()), rawMime('redelivered@example.org'));
      const parsed = await postParsed(fresh.app, parsedFields(sign(fresh.clock.now()), 'redelivered@example.org'));
      assert.deepEqual([first.statusCode, second.statusCode, parsed.statusCode], [200, 200, 200]);
      assert.equal(first.json<{ message: string }>().message, 'stored');
      assert.equal(second.json<{ message: string }>().message, 'ok');
      assert.equal((await inbox(fresh.db)).length, 1);
    });

    test('missing, forged and stale signatures are refused (401) and change nothing', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const good = sign(clock.now());
      const id = 'refused@example.org';
      const cases: Array<[string, Record<string, string>]> = [
        [
          'no signature fields',
          (({ timestamp: _t, token: _k, signature: _s, ...rest }) => rest)(parsedFields(good, id)),
        ],
        ['no token', (({ token: _k, ...rest }) => rest)(parsedFields(good, id))],
        ['a wrong key', parsedFields(sign(clock.now(), 'another-key-0123456789abcdef'), id)],
        // The signature is over timestamp + token: one made for another token fails.
        ['a signature of another token', parsedFields({ ...good, token: sign(clock.now()).token }, id)],
        ['another timestamp', parsedFields({ ...good, timestamp: String(Number(good.timestamp) - 1) }, id)],
        ['a truncated signature', parsedFields({ ...good, signature: good.signature.slice(0, 63) }, id)],
        ['a stale timestamp', parsedFields(sign(clock.now() - 5 * 60_000 - 2000), id)],
        ['a timestamp from the future', parsedFields(sign(clock.now() + 5 * 60_000 + 2000), id)],
      ];
      for (const [name, fields] of cases) {
        const res = await postParsed(app, fields);
        assert.equal(res.statusCode, 401, `${name}: ${res.statusCode}`);
      }
      // A repeated signature field is refused too, whichever copy is right.
      const twice = `${urlencode(parsedFields(good, id))}&signature=${'0'.repeat(64)}`;
      const res = await app.inject({
        method: 'POST',
        url: '/inbound/mailgun',
        payload: twice,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.statusCode, 401);
      assert.equal((await inbox(db)).length, 0);
      assert.equal(await replays(db), 0);
      // The good signature still works: refusals spent nothing of it.
      assert.equal((await postParsed(app, parsedFields(good, id))).statusCode, 200);
    });

    test('a request signed a minute ago is accepted; moved past five minutes it is stale', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const signed = sign(clock.now());
      clock.advance(60_000);
      assert.equal((await postMime(app, signed, rawMime('late-1@example.org'))).statusCode, 200);
      const later = sign(clock.now());
      clock.advance(5 * 60_000 + 1000);
      assert.equal((await postMime(app, later, rawMime('late-2@example.org'))).statusCode, 401);
      assert.deepEqual(
        (await inbox(db)).map((r) => r.message_id),
        ['late-1@example.org'],
      );
    });

    test('a signed request without a message is refused for good (406) and stores nothing', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const { 'message-headers': _h, ...noHeaders } = parsedFields(sign(clock.now()), 'none@example.org');
      assert.equal((await postParsed(app, noHeaders)).statusCode, 406);
      const badHeaders = parsedFields(sign(clock.now()), 'none@example.org', { 'message-headers': '{"not":"a list"}' });
      assert.equal((await postParsed(app, badHeaders)).statusCode, 406);
      assert.equal((await inbox(db)).length, 0);
    });

    test('100 parallel identical deliveries store exactly one row', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const fields = parsedFields(sign(clock.now()), 'parallel@example.org');
      const responses = await atOnce(100, () => postParsed(app, fields));
      const counts = statusCounts(responses);
      assert.equal(counts[200], 1, JSON.stringify(counts));
      assert.equal((counts[406] ?? 0) + (counts[429] ?? 0), 99, JSON.stringify(counts));
      assert.equal((await inbox(db)).length, 1);
      assert.equal(await replays(db), 1);
    });

    test('100 parallel redeliveries (a new token each) store exactly one row, all answered 200', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const raw = rawMime('parallel-redelivery@example.org');
      const responses = await atOnce(100, () => postMime(app, sign(clock.now()), raw));
      const counts = statusCounts(responses);
      assert.equal((counts[200] ?? 0) + (counts[429] ?? 0), 100, JSON.stringify(counts));
      assert.ok((counts[200] ?? 0) >= 1);
      assert.equal((await inbox(db)).length, 1);
    });

    test('over INBOUND_PER_HOUR: 429 with Retry-After and nothing stored; a redelivery does not count', async (t) => {
      const { app, db, clock } = await setup(t, dialect, { INBOUND_PER_HOUR: '2' });
      assert.equal((await postMime(app, sign(clock.now()), rawMime('quota-1@example.org'))).statusCode, 200);
      assert.equal((await postMime(app, sign(clock.now()), rawMime('quota-1@example.org'))).statusCode, 200);
      assert.equal((await postMime(app, sign(clock.now()), rawMime('quota-2@example.org'))).statusCode, 200);
      const over = await postMime(app, sign(clock.now()), rawMime('quota-3@example.org'));
      assert.equal(over.statusCode, 429);
      assert.ok(Number(over.headers['retry-after']) > 0);
      assert.deepEqual(
        (await inbox(db)).map((r) => r.message_id),
        ['quota-1@example.org', 'quota-2@example.org'],
      );
    });

    test('forged requests from one network are cut off (429) before their bodies are read', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const forged = parsedFields(sign(clock.now(), 'another-key-0123456789abcdef'), 'flood@example.org');
      for (let i = 0; i < 200; i++) {
        assert.equal((await postParsed(app, forged, [])).statusCode, 401);
      }
      assert.equal((await postParsed(app, forged, [])).statusCode, 429);
      // Even a correctly signed request from that network waits now (Mailgun retries it later).
      const good = await postParsed(app, parsedFields(sign(clock.now()), 'flood@example.org'));
      assert.equal(good.statusCode, 429);
      assert.equal((await inbox(db)).length, 0);
    });

    test('valid requests give their point back: many signed messages from one network are not limited', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      for (let i = 0; i < 210; i++) {
        const res = await postMime(app, sign(clock.now()), rawMime(`many-${i}@example.org`));
        assert.equal(res.statusCode, 200, `message ${i}`);
      }
      assert.equal((await inbox(db)).length, 210);
    });

    test('a request larger than INBOUND_MAX_BYTES is refused with 413, multipart or url-encoded', async (t) => {
      const { app, db, clock } = await setup(t, dialect, { INBOUND_MAX_BYTES: String(64 * 1024) });
      const big = {
        field: 'attachment-1',
        name: 'big.bin',
        type: 'application/octet-stream',
        data: randomBytes(70_000),
      };
      const multipart = await postParsed(app, parsedFields(sign(clock.now()), 'big-1@example.org'), [big]);
      assert.equal(multipart.statusCode, 413);
      const body = Buffer.concat([rawMime('big-2@example.org'), Buffer.alloc(70_000, 'a')]);
      assert.equal((await postMime(app, sign(clock.now()), body)).statusCode, 413);
      assert.equal((await inbox(db)).length, 0);
      // Just under the limit is fine.
      const small = Buffer.concat([rawMime('big-3@example.org'), Buffer.alloc(20_000, 'a')]);
      assert.equal((await postMime(app, sign(clock.now()), small)).statusCode, 200);
    });

    test('without MAILGUN_WEBHOOK_SIGNING_KEY the webhooks do not exist', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      for (const url of ['/inbound/mailgun', '/inbound/mailgun/mime', '/inbound/mailgun/events']) {
        const res = await postParsed(app, parsedFields(sign(clock.now()), 'nokey@example.org'), FILES, url);
        // An unknown path: a POST without a CSRF token is refused (403) before the router's 404, as anywhere else.
        assert.equal(res.statusCode, 403, url);
        assert.equal((await app.inject({ method: 'GET', url })).statusCode, 404, url);
      }
      assert.equal(app.routeTable.filter((r) => r.access === 'webhook').length, 0);
      assert.equal((await inbox(db)).length, 0);
    });

    test('events: a permanent failure marks the address undeliverable and is audited; a temporary one is ignored', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const user = await createUser(app, { email: 'gone@example.net' });
      const post = (payload: unknown) =>
        app.inject({ method: 'POST', url: '/inbound/mailgun/events', payload: payload as object });
      const temporary = await post(event(sign(clock.now()), { ...BOUNCE, severity: 'temporary' }));
      assert.equal(temporary.statusCode, 200);
      const delivered = await post(event(sign(clock.now()), { event: 'delivered', recipient: 'gone@example.net' }));
      assert.equal(delivered.statusCode, 200);
      assert.equal((await db.selectFrom('undeliverable_addresses').selectAll().execute()).length, 0);

      assert.equal((await post(event(sign(clock.now()), BOUNCE))).statusCode, 200);
      clock.advance(1000);
      assert.equal((await post(event(sign(clock.now()), BOUNCE))).statusCode, 200);
      const rows = await db.selectFrom('undeliverable_addresses').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.address, 'gone@example.net');
      assert.equal(rows[0]!.source, 'mailgun');
      assert.equal(Number(rows[0]!.bounces), 2);
      assert.equal(rows[0]!.reason, '550 The mailbox does not exist');
      assert.equal(Number(rows[0]!.last_at), clock.now());
      const audit = await db.selectFrom('audit_events').selectAll().where('event', '=', 'mail.undeliverable').execute();
      assert.equal(audit.length, 2);
      assert.equal(audit[0]!.target_user_id, user.id);
      assert.equal((JSON.parse(audit[0]!.details) as { address: string }).address, 'gone@example.net');
    });

    test('events: unsigned, forged, stale or replayed requests change nothing', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const post = (payload: unknown) =>
        app.inject({ method: 'POST', url: '/inbound/mailgun/events', payload: payload as object });
      const good = sign(clock.now());
      const refused = [
        await post({ 'event-data': BOUNCE }),
        await post(event({ ...good, signature: 'f'.repeat(64) }, BOUNCE)),
        await post(event(sign(clock.now(), 'another-key-0123456789abcdef'), BOUNCE)),
        await post(event(sign(clock.now() - 6 * 60_000), BOUNCE)),
        await post({ signature: good, 'event-data': BOUNCE, extra: 1 }).then(async (first) => {
          assert.equal(first.statusCode, 200);
          await db.deleteFrom('undeliverable_addresses').execute();
          await db.deleteFrom('audit_events').execute();
          return post(event(good, BOUNCE));
        }),
      ];
      assert.deepEqual(
        refused.map((r) => r.statusCode),
        [401, 401, 401, 401, 406],
      );
      assert.equal((await db.selectFrom('undeliverable_addresses').selectAll().execute()).length, 0);
      assert.equal((await db.selectFrom('audit_events').selectAll().execute()).length, 0);
    });

    test("a message's signature cannot be reused at the events webhook, nor the other way round", async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const signed = sign(clock.now());
      assert.equal((await postMime(app, signed, rawMime('cross@example.org'))).statusCode, 200);
      const bounce = await app.inject({
        method: 'POST',
        url: '/inbound/mailgun/events',
        payload: event(signed, BOUNCE),
      });
      assert.equal(bounce.statusCode, 406);
      assert.equal((await db.selectFrom('undeliverable_addresses').selectAll().execute()).length, 0);
      const other = sign(clock.now());
      const first = await app.inject({
        method: 'POST',
        url: '/inbound/mailgun/events',
        payload: event(other, { event: 'opened' }),
      });
      assert.equal(first.statusCode, 200);
      assert.equal((await postMime(app, other, rawMime('cross-2@example.org'))).statusCode, 406);
      assert.equal((await inbox(db)).length, 1);
    });

    test('onStored is called once per stored message: not for a redelivery, a replay or a refusal', async (t) => {
      const { app, clock } = await setup(t, dialect);
      let woken = 0;
      // The plugin as the app wires it to the inbound worker, here under a prefix of its own.
      await app.register(mailgunRoutes, { prefix: '/hooked', onStored: () => woken++ });
      const url = '/hooked/inbound/mailgun/mime';
      const signed = sign(clock.now());
      assert.equal((await postMime(app, signed, rawMime('woken@example.org'), url)).statusCode, 200);
      assert.equal(woken, 1);
      assert.equal((await postMime(app, signed, rawMime('woken-2@example.org'), url)).statusCode, 406);
      assert.equal((await postMime(app, sign(clock.now()), rawMime('woken@example.org'), url)).statusCode, 200);
      assert.equal(
        (await postMime(app, sign(clock.now(), 'another-key-0123456789abcdef'), rawMime('w3@x'), url)).statusCode,
        401,
      );
      assert.equal(woken, 1);
      assert.equal((await postMime(app, sign(clock.now()), rawMime('woken-3@example.org'), url)).statusCode, 200);
      assert.equal(woken, 2);
    });

    test('malformed bodies are 4xx on every webhook, never a 5xx, and store nothing', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      const signed = new URLSearchParams({ ...sign(clock.now()) }).toString();
      const form = 'application/x-www-form-urlencoded';
      const bodies: Array<[string, string, string]> = [
        ['broken JSON', 'application/json', '{"signature":'],
        ['JSON array', 'application/json', '[1,2,3]'],
        ['text', 'text/plain', signed],
        ['xml', 'application/xml', '<a/>'],
        ['no boundary', 'multipart/form-data', '--x\r\n'],
        [
          'truncated',
          'multipart/form-data; boundary=b',
          '--b\r\nContent-Disposition: form-data; name="token"\r\n\r\nx',
        ],
        ['bad escapes', form, `${signed}&body-mime=%E0%A4%A%ZZ&message-headers=%`],
        ['nested', form, `${signed}&token[x]=1&message-headers[y]=2`],
        ['repeated', form, `${signed}&timestamp=1&token=abcdefghijkl`],
        ['too many fields', form, `${signed}&${Array.from({ length: 2100 }, (_, i) => `f${i}=1`).join('&')}`],
      ];
      for (const url of ['/inbound/mailgun', '/inbound/mailgun/mime', '/inbound/mailgun/events']) {
        for (const [name, type, payload] of bodies) {
          const res = await app.inject({ method: 'POST', url, payload, headers: { 'content-type': type } });
          assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url} ${name}: ${res.statusCode}`);
        }
      }
      assert.equal((await inbox(db)).length, 0);
      assert.equal(await replays(db), 0);
    });

    test('the purge job deletes webhook tokens once their replay window has passed', async (t) => {
      const { app, db, clock } = await setup(t, dialect);
      assert.equal((await postMime(app, sign(clock.now()), rawMime('purge@example.org'))).statusCode, 200);
      const { deleteExpiredRows } = await import('../../src/db/purge.repository.ts');
      await deleteExpiredRows(db, clock.now(), { auditRetentionDays: 365, rateLimitsNow: Date.now() });
      assert.equal(await replays(db), 1);
      await deleteExpiredRows(db, clock.now() + 60 * 60_000, { auditRetentionDays: 365, rateLimitsNow: Date.now() });
      assert.equal(await replays(db), 0);
    });
  });
}
