import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { postMultipart, signedInAs, TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { multipartBody, PNG } from '../helpers/multipart.ts';
import { openTicket } from '../helpers/tickets.ts';

const KB = 1024;
const LIMITS = { ATTACHMENT_MAX_BYTES: String(64 * KB), ATTACHMENT_MAX_FILES: '2' };

/** A PNG `bytes` long: passes the type check, so only its size can refuse it. */
const pngOf = (bytes: number) => Buffer.concat([PNG, Buffer.alloc(bytes - PNG.length, 7)]);

/** The value the page's form field `name` shows (input or textarea), unescaped. */
function shown(html: string, name: string): string | undefined {
  const input = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1];
  const area = new RegExp(`<textarea[^>]*name="${name}"[^>]*>([^<]*)</textarea>`).exec(html)?.[1];
  return (input ?? area)
    ?.replace(/&amp;/g, '&')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"');
}

for (const dialect of dialects()) {
  describe(`typed text is never lost (issue 15, bug 5) [${dialect}]`, () => {
    test('a file over the limit: 413 with the new-ticket form again, the text kept, the error at the file field, nothing saved', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, LIMITS);
      const { client } = await signedInAs(app);
      await client.get('/tickets/new');
      const message = 'The invoice for March is wrong:\nline 3 counts the same licence twice.';
      const res = await postMultipart(client, '/tickets', { subject: 'Invoice March', message, priority: 'high' }, [
        { name: 'scan.png', type: 'image/png', data: pngOf(64 * KB + 1) },
      ]);
      assert.equal(res.statusCode, 413, res.body.slice(0, 300));
      assert.doesNotMatch(res.body, /Go to the start page/, 'the form, not the error page');
      assert.equal(shown(res.body, 'subject'), 'Invoice March');
      assert.equal(shown(res.body, 'message'), message);
      assert.match(res.body, /<option value="high" selected/);
      assert.match(res.body, /id="f-attachments-error">“scan\.png” is larger than/);
      assert.match(res.body, /<input[^>]*name="attachments"[^>]*aria-invalid="true"/);
      assert.equal((await db.selectFrom('tickets').selectAll().execute()).length, 0);

      // The same form again, with a file within the limit: it goes through.
      const ok = await postMultipart(client, '/tickets', { subject: 'Invoice March', message, priority: 'high' }, [
        { name: 'scan.png', type: 'image/png', data: pngOf(64 * KB) },
      ]);
      assert.equal(ok.statusCode, 303, ok.body.slice(0, 300));
    });

    test('the whole form declared over the route limit: only the text before the files is read, the form comes back with it', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, LIMITS);
      const { client } = await signedInAs(app);
      const id = await openTicket(client);
      await client.get(`/tickets/${id}`);
      const message = 'Here is the 20 MB log you asked for.';
      // 20 MB over a limit of 2 × 64 KiB (+ the fields' margin): refused on its declared length before, now its
      // text comes back.
      const body = multipartBody({ _csrf: client.csrfToken(), message }, [
        { name: 'huge.txt', type: 'text/plain', data: Buffer.alloc(20 * 1024 * KB, 'a') },
      ]);
      const res = await client.request({
        method: 'POST',
        url: `/tickets/${id}/messages`,
        payload: body.payload,
        headers: { 'content-type': body.contentType },
      });
      assert.equal(res.statusCode, 413, res.body.slice(0, 300));
      assert.equal(shown(res.body, 'message'), message);
      assert.match(res.body, /id="f-reply-attachments-error">The files are too large together: at most 2 files/);
      assert.equal(res.headers.connection, 'close', 'the rest of the body is not read');
      const messages = await db.selectFrom('ticket_messages').selectAll().where('ticket_id', '=', id).execute();
      assert.equal(messages.length, 1, 'only the opening message');
      assert.equal((await db.selectFrom('attachments').selectAll().execute()).length, 0);
    });

    test('the reply form: a file over the limit comes back 413 with the reply kept; more files than allowed too', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, LIMITS);
      const { client } = await signedInAs(app);
      const id = await openTicket(client);
      await client.get(`/tickets/${id}`);
      const message = 'Screenshot attached — the error shows after step 3.';
      const big = await postMultipart(client, `/tickets/${id}/messages`, { message }, [
        { name: 'shot.png', type: 'image/png', data: pngOf(200 * KB) },
      ]);
      assert.equal(big.statusCode, 413);
      assert.equal(shown(big.body, 'message'), message);
      assert.match(big.body, /id="f-reply-attachments-error">“shot\.png” is larger than/);
      assert.match(big.body, /action="\/tickets\/\d+\/messages"/);

      const many = await postMultipart(
        client,
        `/tickets/${id}/messages`,
        { message },
        Array.from({ length: 3 }, (_, i) => ({ name: `s${i}.png`, type: 'image/png', data: PNG })),
      );
      assert.equal(many.statusCode, 413);
      assert.equal(shown(many.body, 'message'), message);
      assert.match(many.body, /Attach at most 2 files/);
      assert.equal(
        (await db.selectFrom('ticket_messages').selectAll().where('ticket_id', '=', id).execute()).length,
        1,
        'nothing was added',
      );
    });

    test('a form sent after the session ended: 303 to sign in with the way back, nothing stored; after sign-in the ticket', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { user, client } = await signedInAs(app);
      const id = await openTicket(client);
      await client.get(`/tickets/${id}`);
      const token = client.csrfToken();
      // Signed out in another tab: the same browser, so the same cookie, now without a session.
      const otherTab = new TestClient(app);
      for (const [name, value] of (client as unknown as { cookies: Map<string, string> }).cookies) {
        (otherTab as unknown as { cookies: Map<string, string> }).cookies.set(name, value);
      }
      await otherTab.get('/');
      assert.equal((await otherTab.post('/logout')).statusCode, 303);
      const before = await db.selectFrom('ticket_messages').selectAll().execute();

      const reply = await client.post(`/tickets/${id}/messages`, {
        message: 'Typed before the session ended',
        _csrf: token,
      });
      assert.equal(reply.statusCode, 303, reply.body.slice(0, 200));
      assert.equal(reply.headers.location, `/login?next=${encodeURIComponent(`/tickets/${id}`)}`);
      const withFile = await postMultipart(client, `/tickets/${id}/messages`, { message: 'With a file' }, [
        { name: 'a.png', type: 'image/png', data: PNG },
      ]);
      assert.equal(withFile.statusCode, 303);
      assert.equal(withFile.headers.location, `/login?next=${encodeURIComponent(`/tickets/${id}`)}`);
      const newTicket = await client.post('/tickets', { subject: 'S', message: 'M', priority: 'normal', _csrf: token });
      assert.equal(newTicket.statusCode, 303);
      assert.equal(newTicket.headers.location, '/login?next=%2Ftickets%2Fnew');
      // A client that asks for JSON still gets 401; other forms keep their 401 too.
      const json = await client.post(
        `/tickets/${id}/messages`,
        { message: 'x', _csrf: token },
        { accept: 'application/json' },
      );
      assert.equal(json.statusCode, 401);
      assert.equal((await client.post(`/tickets/${id}/resolve`, { _csrf: token })).statusCode, 401);

      assert.deepEqual(await db.selectFrom('ticket_messages').selectAll().execute(), before, 'nothing was stored');
      assert.equal((await db.selectFrom('tickets').selectAll().execute()).length, 1);

      // Signing in from there leads back to the ticket, where the browser restores the draft.
      const login = new URL(String(reply.headers.location), 'http://x');
      await client.get(login.pathname + login.search);
      const signIn = await client.post('/login', {
        email: user.email,
        password: user.password,
        next: login.searchParams.get('next') ?? '',
      });
      assert.equal(signIn.statusCode, 303);
      let location = String(signIn.headers.location);
      if (location.startsWith('/login/two-factor') && user.totpSecret) {
        await client.get(location);
        const code = await client.post('/login/two-factor', {
          code: client.nextCode(user.totpSecret),
          next: new URL(location, 'http://x').searchParams.get('next') ?? '/',
        });
        location = String(code.headers.location);
      }
      assert.equal(location, `/tickets/${id}`);
      const page = await client.get(location);
      assert.match(page.body, new RegExp(`data-draft="u${user.id}:reply:${id}"`));
    });

    test('a signed-out POST with a forged or missing token changes nothing either', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client } = await signedInAs(app);
      const id = await openTicket(client);
      const anonymous = new TestClient(app);
      await anonymous.get('/login');
      const before = await db.selectFrom('ticket_messages').selectAll().execute();
      for (const token of ['forged', null]) {
        const res = await anonymous.post(
          `/tickets/${id}/messages`,
          { message: 'cross-site', _csrf: token },
          { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        );
        assert.equal(res.statusCode, 303);
        assert.match(String(res.headers.location), /^\/login\?next=/);
      }
      assert.deepEqual(await db.selectFrom('ticket_messages').selectAll().execute(), before);
    });

    test('the forms carry their limits and draft keys; a subject over 200 characters is refused with a clear message', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, LIMITS);
      const { user, client } = await signedInAs(app);
      const form = (await client.get('/tickets/new')).body;
      assert.match(form, /<input[^>]*name="subject"[^>]*maxlength="200"[^>]*data-counter/);
      assert.match(form, /<input[^>]*type="file"[^>]*data-max-bytes="65536" data-max-files="2"/);
      assert.match(form, new RegExp(`data-draft="u${user.id}:new-ticket"`));
      const subject = 'x'.repeat(201);
      const res = await client.post('/tickets', { subject, message: 'm', priority: 'normal' });
      assert.equal(res.statusCode, 400);
      assert.match(res.body, /Subjects can have up to 200 characters \(this one has 201\)/);
      assert.equal(shown(res.body, 'subject'), subject, 'the subject is kept to be shortened');
      assert.equal((await db.selectFrom('tickets').selectAll().execute()).length, 0);
    });
  });
}
