import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { ConfigError, loadConfig, parseImapUrl } from '../../src/config.ts';
import { connect, type Connection, type Dialect } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { findInboundSource } from '../../src/features/inbound/inbound-source.repository.ts';
import { inboxMessageKey, storeInboxMessage } from '../../src/features/inbound/inbox.repository.ts';
import { startImapSource, TOO_LARGE_FOLDER, type ImapSourceDeps } from '../../src/features/inbound/imap.source.ts';
import { createTestDatabase, TEST_ENV } from '../helpers/build-app.ts';
import { dialects } from '../helpers/dialects.ts';
import { DOVECOT_TLS_PORT, dovecotSkipReason, listening, newMailbox, type TestMailbox } from '../helpers/dovecot.ts';

const PROCESSED = 'Parapet-processed';
const silent = { info: () => {}, warn: () => {}, error: () => {} } as unknown as ImapSourceDeps['log'];

/** A real RFC 5322 message, as a mail server would deliver it. */
function email(messageId: string, subject = 'Printer on fire', body = 'Please help.'): string {
  return [
    'Return-Path: <client@example.org>',
    'From: Client <client@example.org>',
    'To: support@example.test',
    `Subject: ${subject}`,
    'Date: Sat, 05 Dec 2026 10:00:00 +0000',
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}

const newId = () => `${randomBytes(8).toString('hex')}@example.org`;

type TestConnection = Connection & { another(): Connection; sources: Array<{ stop(): Promise<void> }> };

/** A fresh, migrated database; `another()` opens a second connection to it, as a second process would. */
async function testConnection(t: TestContext, dialect: Dialect): Promise<TestConnection> {
  const testDb = await createTestDatabase(dialect);
  const conn = connect(testDb.database, { poolSize: 4 });
  const others: Connection[] = [];
  const sources: TestConnection['sources'] = [];
  await migrateToLatest(conn);
  t.after(async () => {
    // The sources first: stopping releases the lease in the database.
    await Promise.all(sources.map((s) => s.stop()));
    await Promise.all(others.map((o) => o.close()));
    await conn.close();
    await testDb.cleanup();
  });
  return Object.assign(conn, {
    sources,
    another: () => {
      const other = connect(testDb.database, { poolSize: 4 });
      others.push(other);
      return other;
    },
  });
}

/** The receive the worker's helper writes, reduced to what the source needs: store in mail_inbox, source 'imap'. */
function storingReceive(conn: Connection, calls: string[] = []): ImapSourceDeps['receive'] {
  return async (sourceId, raw) => {
    calls.push(sourceId);
    const header = raw.toString('latin1').split(/\r?\n\r?\n/, 1)[0] ?? '';
    const messageId = /^Message-ID:[ \t]*(.+)$/im.exec(header)?.[1] ?? null;
    await storeInboxMessage(conn.db, {
      source: 'imap',
      sourceId,
      messageId: inboxMessageKey(raw, messageId),
      raw,
      envelope: null,
      receivedAt: systemClock.now(),
    });
  };
}

/** Starts a source on the mailbox with short timings; stopped with the test. */
function start(
  owner: TestConnection,
  conn: Connection,
  mailbox: TestMailbox,
  extra: Partial<ImapSourceDeps> = {},
): { stop(): Promise<void> } {
  const source = startImapSource({
    conn,
    clock: systemClock,
    log: silent,
    imap: mailbox.settings,
    processedFolder: PROCESSED,
    maxBytes: 25 * 1024 * 1024,
    receive: storingReceive(conn),
    ...extra,
    timing: { leaseMs: 3000, renewMs: 300, pollMs: 500, retryMinMs: 200, retryMaxMs: 1000, ...extra.timing },
  });
  owner.sources.push(source);
  return source;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function inbox(conn: Connection) {
  return conn.db.selectFrom('mail_inbox').select(['source', 'source_id', 'message_id', 'raw']).orderBy('id').execute();
}

describe('IMAP_URL in the configuration', () => {
  const base = { ...TEST_ENV, SUPPORT_ADDRESS: 'support@example.test' };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
  };

  test('imaps:// is taken apart: %-escapes decoded, the folder from the path, port 993 by default', () => {
    assert.deepEqual(parseImapUrl('imaps://support%40example.com:p%40ss%3Aw%2Fd@imap.example.com/Support%20mail'), {
      secure: true,
      host: 'imap.example.com',
      port: 993,
      user: 'support@example.com',
      password: 'p@ss:w/d',
      mailbox: 'Support mail',
    });
    assert.equal((parseImapUrl('imaps://u:p@imap.example.com:1993') as { port: number }).port, 1993);
    assert.equal((parseImapUrl('imaps://u:p@imap.example.com') as { mailbox: string }).mailbox, 'INBOX');
  });

  test('imap:// (no TLS) is refused to any host but loopback', () => {
    for (const host of ['imap.example.com', '10.0.0.5', '192.168.1.1', '[2001:db8::1]', '127.0.0.1.evil.example']) {
      const found = problems({ IMAP_URL: `imap://u:secret-pw@${host}/INBOX` });
      assert.equal(found.length, 1, host);
      assert.match(found[0] ?? '', /not loopback/, host);
    }
    for (const host of ['127.0.0.1', 'localhost', '[::1]', '127.1.2.3']) {
      assert.deepEqual(problems({ IMAP_URL: `imap://u:p@${host}:10143/INBOX` }), [], host);
    }
    assert.equal(loadConfig({ ...base, IMAP_URL: 'imap://u:p@[::1]/INBOX' }).imap?.host, '::1');
  });

  test('a URL without credentials, with a query or wildcard, or reading the processed folder is refused', () => {
    for (const url of [
      'imaps://imap.example.com/INBOX',
      'imaps://user@imap.example.com/INBOX',
      'imaps://u:p@imap.example.com/INBOX?x=1',
      'imaps://u:p@imap.example.com/*',
      'imaps://u:p@imap.example.com/IN%0D%0ABOX',
      'imaps://u:p@imap.example.com/%E0%A4%A',
      'pop3://u:p@imap.example.com/INBOX',
    ]) {
      assert.equal(problems({ IMAP_URL: url }).length, 1, url);
    }
    assert.match(
      problems({ IMAP_URL: 'imaps://u:p@imap.example.com/Done', IMAP_PROCESSED_FOLDER: 'Done' })[0] ?? '',
      /IMAP_PROCESSED_FOLDER/,
    );
    assert.equal(loadConfig(base).imap, null);
  });

  test('no problem message repeats the password', () => {
    for (const url of [
      'imap://u:hunter2-secret@imap.example.com/INBOX',
      'imaps://u:hunter2-secret@imap.example.com/INBOX?x',
      'ftp://u:hunter2-secret@imap.example.com/INBOX',
    ]) {
      const found = problems({ IMAP_URL: url });
      assert.ok(found.length > 0, url);
      assert.ok(!found.join(' ').includes('hunter2'), found.join(' '));
    }
  });
});

describe('the IMAP source against Dovecot', async () => {
  const skip = await dovecotSkipReason();
  const noTls =
    skip || (!(await listening(DOVECOT_TLS_PORT)) && `no TLS listener on ${DOVECOT_TLS_PORT} (start.sh needs openssl)`);
  for (const dialect of dialects()) {
    test(
      `[${dialect}] appended messages reach mail_inbox once and are moved; a redelivery is moved, not stored`,
      { skip },
      async (t) => {
        const conn = await testConnection(t, dialect);
        const mailbox = await newMailbox(t);
        const [first, second] = [newId(), newId()];
        await mailbox.append(email(first, 'First'));
        await mailbox.append(email(second, 'Second'));
        start(conn, conn, mailbox);

        await waitFor('both stored and moved', async () => (await mailbox.messageIds(PROCESSED)).length === 2);
        const rows = await inbox(conn);
        assert.deepEqual(rows.map((r) => r.message_id).sort(), [first, second].sort());
        assert.ok(rows.every((r) => r.source === 'imap' && /^\d+:\d+$/.test(r.source_id)));
        assert.match(rows.find((r) => r.message_id === first)?.raw.toString() ?? '', /Subject: First/);
        assert.deepEqual(await mailbox.messageIds('INBOX'), []);

        // The same message delivered again (the same Message-ID, a new UID): nothing new is stored, and it is moved.
        await mailbox.append(email(first, 'First'));
        await waitFor('the redelivery moved', async () => (await mailbox.messageIds(PROCESSED)).length === 3);
        assert.equal((await inbox(conn)).length, 2);
        assert.deepEqual(await mailbox.messageIds('INBOX'), []);
        const status = await findInboundSource(conn.db, 'imap');
        assert.equal(status?.received_count, 3);
        assert.ok(status?.last_poll_at && status.last_success_at);
        assert.equal(status.last_error, null);
      },
    );

    test(
      `[${dialect}] a receive that fails leaves the message in the folder, and the next pass takes it`,
      { skip },
      async (t) => {
        const conn = await testConnection(t, dialect);
        const mailbox = await newMailbox(t);
        const id = newId();
        await mailbox.append(email(id));
        let failing = true;
        const calls: string[] = [];
        const store = storingReceive(conn);
        start(conn, conn, mailbox, {
          receive: async (sourceId, raw) => {
            calls.push(sourceId);
            if (failing) {
              throw new Error('the database went away before the message was stored');
            }
            await store(sourceId, raw);
          },
        });

        await waitFor('two attempts', async () => calls.length >= 2);
        assert.equal(new Set(calls).size, 1, 'the same message, handed over again');
        assert.deepEqual(await mailbox.messageIds('INBOX'), [`<${id}>`]);
        assert.deepEqual(await mailbox.messageIds(PROCESSED), []);
        assert.equal((await inbox(conn)).length, 0);
        const status = await findInboundSource(conn.db, 'imap');
        assert.match(status?.last_error ?? '', /could not be stored.*database went away/);
        assert.equal(status?.received_count, 0);

        failing = false;
        await waitFor('stored and moved', async () => (await mailbox.messageIds(PROCESSED)).length === 1);
        assert.deepEqual(
          (await inbox(conn)).map((r) => r.message_id),
          [id],
        );
        assert.deepEqual(await mailbox.messageIds('INBOX'), []);
      },
    );

    test(
      `[${dialect}] IDLE: a message appended while idling arrives within seconds, without the periodic poll`,
      { skip },
      async (t) => {
        const conn = await testConnection(t, dialect);
        const mailbox = await newMailbox(t);
        // The periodic pass is ten minutes away: only IDLE can bring the message in time.
        start(conn, conn, mailbox, { timing: { pollMs: 10 * 60_000 } });
        await waitFor('the first pass', async () => (await findInboundSource(conn.db, 'imap'))?.last_success_at);
        await sleep(2000); // past the one-second quiet time: the connection is in IDLE
        const id = newId();
        const appended = Date.now();
        await mailbox.append(email(id));
        await waitFor('the message', async () => (await inbox(conn)).length === 1, 5000);
        assert.ok(Date.now() - appended < 5000);
        await waitFor('moved', async () => (await mailbox.messageIds(PROCESSED)).length === 1);
      },
    );

    test(`[${dialect}] two processes: one polls; when it stops the other takes over`, { skip }, async (t) => {
      const conn = await testConnection(t, dialect);
      // The second "process" has a connection of its own to the same database.
      const other = conn.another();
      const mailbox = await newMailbox(t);
      const callsA: string[] = [];
      const callsB: string[] = [];
      const a = start(conn, conn, mailbox, { owner: 'process-a', receive: storingReceive(conn, callsA) });
      await waitFor(
        'A holds the lease',
        async () => (await findInboundSource(conn.db, 'imap'))?.lease_owner === 'process-a',
      );
      const b = start(conn, other, mailbox, { owner: 'process-b', receive: storingReceive(other, callsB) });

      const ids = [newId(), newId(), newId()];
      for (const id of ids) {
        await mailbox.append(email(id));
      }
      await waitFor('three moved', async () => (await mailbox.messageIds(PROCESSED)).length === 3);
      await sleep(1000); // B had time to try (it retries every 300 ms)
      assert.equal(callsA.length, 3);
      assert.deepEqual(callsB, [], 'B never polled');
      assert.equal((await findInboundSource(conn.db, 'imap'))?.lease_owner, 'process-a');

      await a.stop();
      await waitFor(
        'B takes over',
        async () => (await findInboundSource(conn.db, 'imap'))?.lease_owner === 'process-b',
      );
      const late = newId();
      await mailbox.append(email(late));
      await waitFor('B stores it', async () => callsB.length === 1);
      await waitFor('moved', async () => (await mailbox.messageIds(PROCESSED)).length === 4);
      assert.deepEqual((await inbox(conn)).map((r) => r.message_id).sort(), [...ids, late].sort());
      assert.equal(callsA.length, 3);
      await b.stop();
      assert.equal((await findInboundSource(conn.db, 'imap'))?.lease_owner, null, 'released at stop');
    });

    test(
      `[${dialect}] a lease held by another process: no polling until it runs out; a lost renewal stops polling`,
      { skip },
      async (t) => {
        const conn = await testConnection(t, dialect);
        const mailbox = await newMailbox(t);
        // A process that died holding the lease: it runs out in 1.5 s, and nobody renews it.
        await conn.db
          .insertInto('inbound_sources')
          .values({ name: 'imap', lease_owner: 'dead-process', lease_until: Date.now() + 1500 })
          .execute();
        const calls: string[] = [];
        start(conn, conn, mailbox, { owner: 'process-a', receive: storingReceive(conn, calls) });
        await mailbox.append(email(newId()));
        await sleep(800);
        assert.deepEqual(calls, [], 'not while the lease is held');
        await waitFor('taken over after the lease', async () => calls.length === 1, 5000);
        assert.equal((await findInboundSource(conn.db, 'imap'))?.lease_owner, 'process-a');

        // Another process takes the lease (as after a network partition): A's next renewal fails and it stops polling.
        await conn.db
          .updateTable('inbound_sources')
          .set({ lease_owner: 'intruder', lease_until: Date.now() + 3000 })
          .execute();
        await sleep(700);
        await mailbox.append(email(newId()));
        await sleep(1200);
        assert.equal(calls.length, 1, 'A stopped polling');
        assert.equal((await findInboundSource(conn.db, 'imap'))?.lease_owner, 'intruder', 'and did not take it back');
        await waitFor('A again after the intruder lease', async () => calls.length === 2, 6000);
      },
    );

    test(
      `[${dialect}] a wrong password is recorded as the source's error, retried, and nothing crashes`,
      { skip },
      async (t) => {
        const conn = await testConnection(t, dialect);
        const mailbox = await newMailbox(t);
        await mailbox.append(email(newId()));
        const calls: string[] = [];
        const source = start(conn, conn, mailbox, {
          imap: { ...mailbox.settings, password: 'wrong-password' },
          receive: storingReceive(conn, calls),
        });
        const status = await waitFor('the error', async () => {
          const row = await findInboundSource(conn.db, 'imap');
          return row?.last_error ? row : undefined;
        });
        assert.match(status.last_error ?? '', /login refused/i);
        assert.ok(!(status.last_error ?? '').includes('wrong-password'));
        assert.equal(status.last_success_at, null);
        const firstAt = status.last_error_at ?? 0;
        await waitFor(
          'a retry',
          async () => ((await findInboundSource(conn.db, 'imap'))?.last_error_at ?? 0) > firstAt,
        );
        await source.stop();
        assert.deepEqual(calls, []);
        assert.deepEqual((await mailbox.messageIds('INBOX')).length, 1);
      },
    );

    test(
      `[${dialect}] a folder that does not exist is recorded as the error; nothing is created or moved`,
      { skip },
      async (t) => {
        const conn = await testConnection(t, dialect);
        const mailbox = await newMailbox(t);
        await mailbox.append(email(newId()));
        start(conn, conn, mailbox, { imap: { ...mailbox.settings, mailbox: 'Support' } });
        const status = await waitFor('the error', async () => {
          const row = await findInboundSource(conn.db, 'imap');
          return row?.last_error ? row : undefined;
        });
        assert.match(status.last_error ?? '', /doesn't exist: Support/);
        assert.equal(status.last_success_at, null);
        assert.deepEqual(await mailbox.messageIds('Support'), []);
        assert.equal((await mailbox.messageIds('INBOX')).length, 1);
      },
    );

    test(
      `[${dialect}] imaps:// to a server whose certificate is not trusted: refused before the login, error recorded`,
      { skip: noTls },
      async (t) => {
        const conn = await testConnection(t, dialect);
        const mailbox = await newMailbox(t);
        await mailbox.append(email(newId()));
        const calls: string[] = [];
        start(conn, conn, mailbox, {
          imap: { ...mailbox.settings, secure: true, port: DOVECOT_TLS_PORT },
          receive: storingReceive(conn, calls),
        });
        const status = await waitFor('the error', async () => {
          const row = await findInboundSource(conn.db, 'imap');
          return row?.last_error ? row : undefined;
        });
        assert.match(status.last_error ?? '', /certificate/i);
        assert.deepEqual(calls, []);
        assert.equal((await mailbox.messageIds('INBOX')).length, 1);
      },
    );

    test(
      `[${dialect}] a message over INBOUND_MAX_BYTES is not downloaded: moved to ${TOO_LARGE_FOLDER}, error recorded`,
      { skip },
      async (t) => {
        const conn = await testConnection(t, dialect);
        const mailbox = await newMailbox(t);
        const [big, small] = [newId(), newId()];
        await mailbox.append(email(big, 'Large', 'x'.repeat(76).concat('\r\n').repeat(1000)));
        await mailbox.append(email(small, 'Small'));
        const calls: string[] = [];
        start(conn, conn, mailbox, { maxBytes: 64 * 1024, receive: storingReceive(conn, calls) });
        await waitFor('the small one moved', async () => (await mailbox.messageIds(PROCESSED)).length === 1);
        assert.deepEqual(await mailbox.messageIds(TOO_LARGE_FOLDER), [`<${big}>`]);
        assert.deepEqual(await mailbox.messageIds(PROCESSED), [`<${small}>`]);
        assert.deepEqual(await mailbox.messageIds('INBOX'), []);
        assert.deepEqual(
          (await inbox(conn)).map((r) => r.message_id),
          [small],
        );
        assert.equal(calls.length, 1);
        const status = await findInboundSource(conn.db, 'imap');
        assert.match(status?.last_error ?? '', /INBOUND_MAX_BYTES.*Parapet-too-large/);
      },
    );
  }
});
