import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../helpers/build-app.ts';
import { postMultipart, signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { multipartBody, PNG } from '../helpers/multipart.ts';
import { atOnce, statusCounts } from '../helpers/parallel.ts';
import { openTicket } from '../helpers/tickets.ts';

const MB = 1024 * 1024;

interface Sent {
  status: number | null;
  /** Bytes of the body this client managed to hand to its socket before the server answered or closed. */
  sent: number;
  /** Bytes the server's socket read from the wire for this request, headers included. */
  serverRead: number;
}

/** Remembers every server-side socket by the client's port, so a test can ask how much each one read. */
function trackSockets(app: FastifyInstance): Map<number, Socket> {
  const sockets = new Map<number, Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.set(socket.remotePort ?? 0, socket);
  });
  return sockets;
}

/**
 * POSTs a multipart body of `files` × `fileBytes` over a real connection, generated as it is sent (never held
 * in memory), respecting backpressure, and stops as soon as the server answers or closes the connection.
 */
function streamUpload(
  port: number,
  sockets: Map<number, Socket>,
  path: string,
  opts: { files: number; fileBytes: number; firstField?: [string, string]; headers?: Record<string, string> },
): Promise<Sent> {
  const boundary = '----parapetstream';
  const head = opts.firstField
    ? Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${opts.firstField[0]}"\r\n\r\n${opts.firstField[1]}\r\n`,
      )
    : Buffer.alloc(0);
  const fileHead = (i: number) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="f${i}.txt"\r\nContent-Type: text/plain\r\n\r\n`,
    );
  const tail = Buffer.from(`--${boundary}--\r\n`);
  const length =
    head.length +
    Array.from({ length: opts.files }, (_, i) => fileHead(i).length + opts.fileBytes + 2).reduce((a, b) => a + b, 0) +
    tail.length;
  const filler = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve) => {
    let status: number | null = null;
    let sent = 0;
    let stopped = false;
    let localPort = 0;
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      agent: false,
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(length),
        ...opts.headers,
      },
    });
    req.on('socket', (s) => s.on('connect', () => (localPort = s.localPort ?? 0)));
    req.on('response', (res) => {
      status = res.statusCode ?? null;
      stopped = true;
      res.resume();
    });
    req.on('error', () => {
      stopped = true;
    });
    req.on('close', () => {
      stopped = true;
      // Let the server side finish closing before reading its counter.
      setTimeout(() => resolve({ status, sent, serverRead: sockets.get(localPort)?.bytesRead ?? -1 }), 50);
    });
    const write = (chunk: Buffer) =>
      new Promise<void>((ok) => {
        if (stopped) {
          return ok();
        }
        sent += chunk.length;
        if (req.write(chunk)) {
          ok();
        } else {
          const done = () => {
            req.off('drain', done);
            req.off('close', done);
            ok();
          };
          req.on('drain', done);
          req.on('close', done);
        }
      });
    void (async () => {
      await write(head);
      for (let i = 0; i < opts.files && !stopped; i++) {
        await write(fileHead(i));
        for (let n = 0; n < opts.fileBytes && !stopped; n += filler.length) {
          await write(filler.subarray(0, Math.min(filler.length, opts.fileBytes - n)));
        }
        await write(Buffer.from('\r\n'));
      }
      await write(tail);
      if (!stopped) {
        req.end();
      }
    })();
  });
}

for (const dialect of dialects()) {
  describe(`uploads: nothing is read before the guard [${dialect}]`, () => {
    test('issue 12 reproduction: parallel 5 × 10 MB multipart posts, anonymous to /login and without CSRF to a ticket route, are refused unread', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const sockets = trackSockets(app);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      const { client } = await signedInAs(app);
      const id = await openTicket(client);
      const cookie = client.cookieHeader();
      const token = client.csrfToken();
      const total = 5 * 10 * MB;
      const rssBefore = process.memoryUsage().rss;

      const results = await atOnce(12, (i) => {
        switch (i % 6) {
          case 0:
          case 1:
            return streamUpload(port, sockets, '/login', { files: 5, fileBytes: 10 * MB });
          case 2:
            // Signed in, but the files come first and no header carries the token.
            return streamUpload(port, sockets, '/tickets', { files: 5, fileBytes: 10 * MB, headers: { cookie } });
          case 3:
            return streamUpload(port, sockets, `/tickets/${id}/messages`, {
              files: 5,
              fileBytes: 10 * MB,
              headers: { cookie },
              firstField: ['_csrf', 'forged'],
            });
          case 4:
            return streamUpload(port, sockets, '/tickets', {
              files: 5,
              fileBytes: 10 * MB,
              headers: { cookie, 'x-csrf-token': 'forged' },
            });
          default:
            // Anonymous, with a token-looking first part: the session check refuses it first.
            return streamUpload(port, sockets, '/tickets', {
              files: 5,
              fileBytes: 10 * MB,
              firstField: ['_csrf', token],
            });
        }
      });
      const rssGrowth = process.memoryUsage().rss - rssBefore;
      const byKind = (k: number) => results.filter((_, i) => i % 6 === k);
      assert.deepEqual(
        statusCounts([...byKind(0), ...byKind(1)].map((r) => ({ status: r.status ?? 0 }))),
        { 415: 4 },
        'multipart to /login: 415',
      );
      for (const k of [2, 3, 4]) {
        assert.deepEqual(
          statusCounts(byKind(k).map((r) => ({ status: r.status ?? 0 }))),
          { 403: 2 },
          `case ${k}: refused by the CSRF check`,
        );
      }
      // The ticket forms send a signed-out user to sign in (303) rather than answer 401; still unread.
      assert.deepEqual(
        statusCounts(byKind(5).map((r) => ({ status: r.status ?? 0 }))),
        { 303: 2 },
        'anonymous: refused by the session check',
      );
      for (const [i, r] of results.entries()) {
        // Node's HTTP parser stops pulling from a socket once its request's buffer is full; then the connection closes.
        assert.ok(
          r.serverRead >= 0 && r.serverRead < 2 * MB,
          `request ${i}: the server read ${r.serverRead} bytes of ${total}`,
        );
        assert.ok(
          r.sent < total,
          `request ${i}: the connection was closed before the body was sent (${r.sent} of ${total})`,
        );
      }
      const read = results.reduce((a, r) => a + r.serverRead, 0);
      t.diagnostic(
        `12 refused uploads of 50 MB: server read ${(read / MB).toFixed(2)} MB in all; RSS grew by ${(rssGrowth / MB).toFixed(1)} MB (client and server share this process)`,
      );
      assert.ok(rssGrowth < 100 * MB, `RSS grew by ${rssGrowth} bytes`);
      assert.equal(results.length, 12);
    });

    test('multipart/form-data to any route without attachments is 415, unread, and changes nothing', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { user, client } = await signedInAs(app, 'administrator');
      const id = await openTicket((await signedInAs(app)).client);
      await client.get(`/tickets/${id}`);
      const token = client.csrfToken();
      // Every POST route this signed-in administrator may call (the half-signed-in steps refuse the session first).
      const callable = new Set(['public', 'signed-in', 'staff', 'administrator', 'session']);
      const posts = app.routeTable.filter(
        (r) =>
          r.method === 'POST' &&
          callable.has(r.access) &&
          !['/tickets', '/tickets/:id/messages', '/tickets/:id/notes'].includes(r.url),
      );
      assert.ok(posts.length > 10);
      for (const route of posts) {
        const url = route.url
          .replace(':id', String(route.url.startsWith('/admin') ? user.id : id))
          .replace(':ref', 'x');
        const body = multipartBody({ _csrf: token, subject: 'x', message: 'm', password: 'p' }, [
          { name: 'a.png', data: PNG },
        ]);
        const res = await client.request({
          method: 'POST',
          url,
          payload: body.payload,
          headers: { 'content-type': body.contentType },
        });
        assert.equal(res.statusCode, 415, `${route.url}: ${res.statusCode}`);
      }
      const ticket = await db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(ticket.status, 'awaiting_staff', 'resolve did not run');
      const get = await client.request({
        method: 'GET',
        url: '/tickets',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
      });
      assert.equal(get.statusCode, 200, 'a GET carries no body to refuse');
    });

    test('the token in the x-csrf-token header works; a token that is not the first part is refused; the forms put it first', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client } = await signedInAs(app);
      for (const page of ['/tickets/new', `/tickets/${await openTicket(client)}`]) {
        const html = (await client.get(page)).body;
        const form =
          /<form method="post" action="[^"]*" enctype="multipart\/form-data"[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1] ??
          '';
        assert.match(
          form,
          /^\s*<input type="hidden" name="_csrf" value="[^"]+"\s*\/?>/,
          `${page}: the hidden _csrf input is the form's first field`,
        );
      }
      await client.get('/tickets/new');
      const token = client.csrfToken();

      const viaHeader = multipartBody({ subject: 'By header', message: 'Token in the header', priority: 'normal' }, [
        { name: 'a.png', data: PNG },
      ]);
      const ok = await client.request({
        method: 'POST',
        url: '/tickets',
        payload: viaHeader.payload,
        headers: { 'content-type': viaHeader.contentType, 'x-csrf-token': token },
      });
      assert.equal(ok.statusCode, 303, ok.body.slice(0, 300));

      const late = multipartBody({ subject: 'Late token', message: 'm', priority: 'normal', _csrf: token });
      assert.equal(
        (
          await client.request({
            method: 'POST',
            url: '/tickets',
            payload: late.payload,
            headers: { 'content-type': late.contentType },
          })
        ).statusCode,
        403,
      );
      const none = multipartBody({ subject: 'No token', message: 'm', priority: 'normal' });
      assert.equal(
        (
          await client.request({
            method: 'POST',
            url: '/tickets',
            payload: none.payload,
            headers: { 'content-type': none.contentType },
          })
        ).statusCode,
        403,
      );
      const empty = await client.request({
        method: 'POST',
        url: '/tickets',
        payload: '',
        headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': '0' },
      });
      assert.equal(empty.statusCode, 403);
      const subjects = (await db.selectFrom('tickets').select('subject').execute()).map((r) => r.subject);
      assert.ok(subjects.includes('By header'));
      assert.ok(!subjects.includes('Late token') && !subjects.includes('No token'));
    });

    test('the whole request is capped by the route bodyLimit, each file at its limit: 4xx, nothing saved', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, {
        ATTACHMENT_MAX_BYTES: String(64 * 1024),
        ATTACHMENT_MAX_FILES: '2',
      });
      const sockets = trackSockets(app);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      const { client } = await signedInAs(app);
      await client.get('/tickets/new');
      const token = client.csrfToken();
      const cookie = client.cookieHeader();

      // Declared larger than 2 × 64 KiB + the fields margin: refused on its headers.
      const tooLong = await streamUpload(port, sockets, '/tickets', {
        files: 2,
        fileBytes: 400 * 1024,
        headers: { cookie },
        firstField: ['_csrf', token],
      });
      assert.equal(tooLong.status, 413);
      assert.ok(tooLong.serverRead < 300 * 1024, `read ${tooLong.serverRead}`);

      // Within the cap, but one file is larger than its limit: refused at the first byte beyond it.
      const big = postMultipart(client, '/tickets', { subject: 's', message: 'm', priority: 'normal' }, [
        { name: 'big.png', data: Buffer.concat([PNG, Buffer.alloc(64 * 1024)]) },
      ]);
      const res = await big;
      assert.equal(res.statusCode, 413);
      assert.match(res.body, /larger than/);

      const tooMany = await postMultipart(
        client,
        '/tickets',
        { subject: 's', message: 'm', priority: 'normal' },
        Array.from({ length: 3 }, (_, i) => ({ name: `f${i}.png`, data: PNG })),
      );
      assert.ok(tooMany.statusCode === 413 || tooMany.statusCode === 400, String(tooMany.statusCode));

      const chunked = await client.request({
        method: 'POST',
        url: '/tickets',
        payload: 'x',
        headers: { 'content-type': 'multipart/form-data; boundary=x', 'transfer-encoding': 'chunked' },
      });
      assert.ok(chunked.statusCode === 411 || chunked.statusCode === 400, String(chunked.statusCode));

      // A plain form on an upload route keeps the app-wide body limit, not the upload cap.
      const plain = await client.post('/tickets', { subject: 's', message: 'm'.repeat(2 * MB), priority: 'normal' });
      assert.equal(plain.statusCode, 413);

      assert.equal((await db.selectFrom('tickets').selectAll().execute()).length, 0, 'nothing was saved');
      const good = await postMultipart(client, '/tickets', { subject: 'fine', message: 'm', priority: 'normal' }, [
        { name: 'ok.png', data: PNG },
      ]);
      assert.equal(good.statusCode, 303, good.body.slice(0, 300));
    });
  });
}
