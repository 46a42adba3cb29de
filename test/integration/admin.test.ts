import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { connect } from '../../src/db/connect.ts';
import { TestClock } from '../../src/lib/clock.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient, signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';
import { openTicket } from '../helpers/tickets.ts';

const ADMIN_GETS = (id: number) => [
  '/admin/users',
  '/admin/users/new',
  `/admin/users/${id}`,
  `/admin/users/${id}/delete`,
  '/admin/failed-logins',
  '/admin/audit',
];
const ADMIN_POSTS = (id: number): Array<[string, Record<string, string>]> => [
  ['/admin/users', { email: 'x@example.com', role: 'administrator' }],
  [`/admin/users/${id}`, { email: 'x@example.com', role: 'client' }],
  [`/admin/users/${id}/disable`, {}],
  [`/admin/users/${id}/enable`, {}],
  [`/admin/users/${id}/sessions/revoke`, {}],
  [`/admin/users/${id}/resend-verification`, {}],
  [`/admin/users/${id}/unlock`, {}],
  [`/admin/users/${id}/two-factor/reset`, {}],
  [`/admin/users/${id}/delete`, { tickets: 'delete' }],
  ['/admin/failed-logins/unlock', { ip: '127.0.0.1' }],
];

for (const dialect of dialects()) {
  describe(`administration [${dialect}]`, () => {
    test('clients and agents get 404 on every admin page and action, and change nothing', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { user: adminUser } = await signedInAs(app, 'administrator', 'boss@example.com');
      const { client } = await signedInAs(app, 'client');
      const { client: agent } = await signedInAs(app, 'agent');
      for (const who of [client, agent]) {
        for (const url of ADMIN_GETS(adminUser.id)) {
          const res = await who.get(url);
          assert.equal(res.statusCode, 404, url);
          assert.doesNotMatch(res.body, /boss@example\.com/);
        }
        await who.get('/');
        for (const [url, form] of ADMIN_POSTS(adminUser.id)) {
          assert.equal((await who.post(url, form)).statusCode, 404, `POST ${url}`);
        }
      }
      const admin = await db.selectFrom('users').selectAll().where('id', '=', adminUser.id).executeTakeFirstOrThrow();
      assert.equal(admin.role, 'administrator');
      assert.equal(admin.disabled_at, null);
      assert.equal((await db.selectFrom('users').selectAll().where('email', '=', 'x@example.com').execute()).length, 0);
      const anonymous = new TestClient(app);
      assert.equal((await anonymous.get('/admin/users')).statusCode, 303);
    });

    test('the users page lists and finds accounts; creating one sends an invitation to choose a password', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator');
      await createUser(app, { email: 'registered.client@example.com' });
      const list = await admin.get('/admin/users');
      assert.match(list.body, /registered\.client@example\.com/);
      assert.match((await admin.get('/admin/users?q=registered')).body, /registered\.client@example\.com/);
      assert.doesNotMatch((await admin.get('/admin/users?q=nobody')).body, /registered\.client@example\.com/);
      assert.match(
        (await admin.get('/admin/users?q=%25')).body,
        /No users match|registered/,
        'LIKE wildcards are literal',
      );

      await admin.get('/admin/users/new');
      const created = await admin.post('/admin/users', { email: 'New.Agent@Example.com', name: 'Nora', role: 'agent' });
      assert.equal(created.statusCode, 303);
      const user = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', 'new.agent@example.com')
        .executeTakeFirstOrThrow();
      assert.equal(user.role, 'agent');
      const link = linkIn((await mailsTo(db, 'new.agent@example.com'))[0], '/invitation');
      const invitee = new TestClient(app);
      const invitationPage = (await invitee.get(link)).body;
      assert.match(invitationPage, /Choose your password/);
      assert.match(
        invitationPage,
        /You are invited to Support as an\s*<strong>Agent<\/strong>, for <strong>new\.agent@example\.com<\/strong>/,
        'the page says which account and role the invitation is for',
      );
      const token = new URL(link, 'http://x').searchParams.get('token') ?? '';
      const weak = await invitee.post('/invitation', {
        token,
        password: 'password1234',
        password_confirm: 'password1234',
      });
      assert.equal(weak.statusCode, 400);
      assert.match(weak.body, /for <strong>new\.agent@example\.com<\/strong>/, 'and says it again with the error');
      assert.equal(
        (
          await invitee.post('/invitation', {
            token,
            password: 'my own agent passphrase',
            password_confirm: 'my own agent passphrase',
          })
        ).statusCode,
        303,
      );
      assert.equal(
        (await invitee.login('new.agent@example.com', 'my own agent passphrase')).headers.location,
        '/two-factor/setup',
      );
      const again = new TestClient(app);
      await again.get('/login');
      assert.equal(
        (
          await again.post('/invitation', {
            token,
            password: 'another long passphrase',
            password_confirm: 'another long passphrase',
          })
        ).statusCode,
        400,
        'single use',
      );
      const audit = await db.selectFrom('audit_events').select('event').where('event', '=', 'user.created').execute();
      assert.equal(audit.length, 1);
    });

    test('"Resend" to an invitee who never chose a password sends a new invitation (the old link dies); accepting it sends a welcome', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator');
      await admin.get('/admin/users/new');
      const created = await admin.post('/admin/users', { email: 'invitee@example.com', name: 'Ines', role: 'client' });
      const userPage = String(created.headers.location);
      const firstLink = linkIn((await mailsTo(db, 'invitee@example.com'))[0], '/invitation');
      const page = await admin.get(userPage);
      assert.match(page.body, />Resend invitation</);
      assert.doesNotMatch(page.body, /Resend verification email/);
      const resent = await admin.post(`${userPage}/resend-verification`);
      assert.equal(resent.statusCode, 303);
      const flash = (await admin.get(userPage)).body;
      assert.match(
        flash,
        /A new invitation was sent to invitee@example\.com\. The link in the earlier invitation no longer works\./,
      );
      assert.doesNotMatch(flash, /verification link/);
      const mails = await mailsTo(db, 'invitee@example.com');
      assert.deepEqual(
        mails.map((m) => m.kind),
        ['invitation', 'invitation'],
        'no "thanks for creating an account" verification mail',
      );
      assert.doesNotMatch(mails[1]?.text_body ?? '', /Thanks for creating an account/);
      // The first link no longer works; the new one does.
      const invitee = new TestClient(app);
      assert.equal((await invitee.get(firstLink)).statusCode, 400);
      const link = linkIn(mails[1], '/invitation');
      await invitee.get(link);
      const token = new URL(link, 'http://x').searchParams.get('token') ?? '';
      const accepted = await invitee.post('/invitation', {
        token,
        password: 'quiet harbour lantern meadow',
        password_confirm: 'quiet harbour lantern meadow',
      });
      assert.equal(accepted.statusCode, 303);
      const afterAccept = await mailsTo(db, 'invitee@example.com');
      assert.deepEqual(
        afterAccept.map((m) => m.kind),
        ['invitation', 'invitation', 'welcome'],
        'a welcome, not "your password was changed"',
      );
      const welcome = afterAccept[2];
      assert.match(welcome?.subject ?? '', /^Welcome to /);
      assert.doesNotMatch(welcome?.text_body ?? '', /if this was not you/i);
      assert.match(welcome?.html_body ?? '', /<html/);
      assert.equal(linkIn(welcome, '/login'), '/login');

      // A registered (not invited) unverified account still gets a verification link.
      const registered = await createUser(app, { verified: false, email: 'registered@example.com' });
      await admin.get(`/admin/users/${registered.id}`);
      assert.match(admin.lastBody, /Resend verification email/);
      await admin.post(`/admin/users/${registered.id}/resend-verification`);
      assert.match((await admin.get(`/admin/users/${registered.id}`)).body, /A new verification link was sent/);
      assert.deepEqual(
        (await mailsTo(db, 'registered@example.com')).map((m) => m.kind),
        ['verify_email'],
      );
    });

    test('edit, disable and enable; a role change and a disable end the user’s sessions at once', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator');
      const { user: target, client: targetClient } = await signedInAs(app, 'client');
      await admin.get(`/admin/users/${target.id}`);
      assert.equal(
        (await admin.post(`/admin/users/${target.id}`, { email: target.email, name: 'Promoted', role: 'agent' }))
          .statusCode,
        303,
      );
      assert.doesNotMatch((await targetClient.get('/')).body, /You are signed in/, 'the role change ended the session');
      assert.equal(
        (await db.selectFrom('users').select('role').where('id', '=', target.id).executeTakeFirstOrThrow()).role,
        'agent',
      );

      await targetClient.signIn(target);
      await admin.get(`/admin/users/${target.id}`);
      assert.equal((await admin.post(`/admin/users/${target.id}/disable`)).statusCode, 303);
      assert.doesNotMatch((await targetClient.get('/')).body, /You are signed in/);
      assert.equal(
        (await new TestClient(app).login(target.email, target.password)).statusCode,
        401,
        'a disabled user cannot sign in',
      );
      await admin.get(`/admin/users/${target.id}`);
      assert.equal((await admin.post(`/admin/users/${target.id}/enable`)).statusCode, 303);
      assert.equal((await new TestClient(app).login(target.email, target.password)).statusCode, 303);
      const events = (await db.selectFrom('audit_events').select('event').execute()).map((e) => e.event);
      for (const e of ['user.role_changed', 'user.updated', 'user.disabled', 'user.enabled']) {
        assert.ok(events.includes(e), e);
      }
    });

    test('an account whose address predates the address check (admin@localhost) can still have its name edited', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { user: first, client: admin } = await signedInAs(app, 'administrator', 'admin@localhost');
      await admin.get(`/admin/users/${first.id}`);
      const saved = await admin.post(`/admin/users/${first.id}`, {
        email: 'admin@localhost',
        name: 'Ada Admin',
        role: 'administrator',
      });
      assert.equal(saved.statusCode, 303, 'only the name changed: the old address is not checked');
      const row = await db.selectFrom('users').selectAll().where('id', '=', first.id).executeTakeFirstOrThrow();
      assert.equal(row.name, 'Ada Admin');
      assert.equal(row.email, 'admin@localhost');
      // A new address is checked: one in .localhost is refused.
      await admin.get(`/admin/users/${first.id}`);
      const refused = await admin.post(`/admin/users/${first.id}`, {
        email: 'root@other.localhost',
        name: 'Ada Admin',
        role: 'administrator',
      });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /Enter an email address like name@example\.com/);
    });

    test('a role change tells the administrator that the person was signed out of their sessions, and the page warns first', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator');
      const maria = await createUser(app, { role: 'client', email: 'maria@example.com' });
      const phone = new TestClient(app);
      const laptop = new TestClient(app);
      await phone.signIn(maria);
      await laptop.signIn(maria);

      const page = (await admin.get(`/admin/users/${maria.id}`)).body;
      assert.match(page, /data-confirm-change="role"/, 'the browser asks before saving another role');
      assert.match(page, /Saving another role signs maria@example\.com out of every session \(2 sessions active now\)/);

      const saved = await admin.post(`/admin/users/${maria.id}`, { email: maria.email, name: 'Maria', role: 'agent' });
      assert.equal(saved.statusCode, 303);
      const after = (await admin.get(String(saved.headers.location))).body;
      assert.match(after, /Maria’s role is now Agent\. They were signed out of 2 sessions and must sign in again\./);
      assert.doesNotMatch(after, /Changes saved/);
      assert.doesNotMatch((await phone.get('/')).body, /You are signed in/);

      // A name-only edit changes no session and says only that.
      const renamed = await admin.post(`/admin/users/${maria.id}`, {
        email: maria.email,
        name: 'Maria R',
        role: 'agent',
      });
      assert.match((await admin.get(String(renamed.headers.location))).body, /Changes saved\./);

      // Disabling says how many sessions ended, too.
      await phone.signIn(maria);
      await admin.get(`/admin/users/${maria.id}`);
      const disabled = await admin.post(`/admin/users/${maria.id}/disable`);
      assert.match(
        (await admin.get(String(disabled.headers.location))).body,
        /Maria R’s account is disabled\. They were signed out of 1 session\./,
      );
      const ended = await db
        .selectFrom('audit_events')
        .select('details')
        .where('event', '=', 'session.revoked')
        .where('target_user_id', '=', maria.id)
        .orderBy('id')
        .execute();
      assert.deepEqual(
        ended.map((e) => JSON.parse(e.details) as unknown),
        [
          { scope: 'all', count: 2, reason: 'role_changed' },
          { scope: 'all', count: 1, reason: 'disabled' },
        ],
      );
    });

    test('destructive actions stand apart in a danger zone, disabled with the reason where they cannot apply', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { user: only, client: admin } = await signedInAs(app, 'administrator');
      const dangerZone = (html: string) => /<section[^>]*danger-zone[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
      const accountBox = (html: string) =>
        /<section[^>]*aria-labelledby="actions-title"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';

      const own = (await admin.get(`/admin/users/${only.id}`)).body;
      const zone = dangerZone(own);
      assert.match(zone, /Danger zone/);
      for (const label of ['Disable account', 'Delete account…']) {
        assert.match(
          zone,
          new RegExp(
            `<button type="button" class="button button--danger" disabled aria-describedby="[^"]+">${label}</button>`,
          ),
          `${label} is shown disabled`,
        );
      }
      assert.match(zone, /This is the only active administrator: make someone else an administrator first\./);
      assert.doesNotMatch(zone, /action="[^"]*\/disable"/, 'no form to disable the last administrator');
      assert.match(zone, /action="[^"]*\/sessions\/revoke"/);
      // The server refuses it anyway (the button could be re-enabled in the browser).
      assert.equal((await admin.post(`/admin/users/${only.id}/disable`)).statusCode, 303);
      assert.match(
        (await admin.get(`/admin/users/${only.id}`)).body,
        /The last active administrator cannot be disabled/,
      );

      // Another user: the destructive actions are forms in the danger zone, the neutral ones are not there.
      const client = await createUser(app, { role: 'client', verified: false, twoFactor: false });
      const other = (await admin.get(`/admin/users/${client.id}`)).body;
      assert.match(dangerZone(other), /action="[^"]*\/disable"[^>]*data-confirm=/);
      assert.match(dangerZone(other), /href="[^"]*\/delete"/);
      assert.match(dangerZone(other), /Two-factor is not set up\./, 'reset 2FA explains why it is disabled');
      assert.match(dangerZone(other), /No active session\./);
      assert.doesNotMatch(dangerZone(other), /resend-verification|\/enable"/);
      assert.match(accountBox(other), /resend-verification/);
      assert.doesNotMatch(accountBox(other), /\/disable"|\/delete"|two-factor\/reset|sessions\/revoke/);
    });

    test('the audit log shows events in words, with their details formatted, and filters by their labels', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client: admin, user: ada } = await signedInAs(app, 'administrator');
      const maria = await createUser(app, { role: 'client' });
      await new TestClient(app).login(maria.email, 'not her password');
      await admin.get(`/admin/users/${maria.id}`);
      await admin.post(`/admin/users/${maria.id}`, { email: maria.email, name: '', role: 'agent' });
      await admin.get(`/admin/users/${maria.id}`);
      await admin.post(`/admin/users/${maria.id}/two-factor/reset`);

      const page = (await admin.get('/admin/audit')).body;
      for (const phrase of [
        'Signed in',
        'Sign-in failed: wrong password',
        'Role changed from Client to Agent by ' + ada.email,
        'Two-factor reset by ' + ada.email,
      ]) {
        assert.ok(page.includes(phrase), phrase);
      }
      assert.match(page, /<dt>Failures in a row<\/dt>\s*<dd>1<\/dd>/);
      const table = /<table[\s\S]*<\/table>/.exec(page)?.[0] ?? '';
      assert.doesNotMatch(table, /login\.failure|user\.role_changed|2fa\.reset|\{&quot;|\{"/, 'no codes, no JSON');
      assert.match(page, /<option value="user\.role_changed"[^>]*>Role changed<\/option>/, 'the filter shows labels');
      const filtered = (await admin.get('/admin/audit?event=2fa.reset')).body;
      assert.match(filtered, /<option value="2fa\.reset" selected[^>]*>Two-factor reset<\/option>/);
      assert.doesNotMatch(/<table[\s\S]*<\/table>/.exec(filtered)?.[0] ?? '', /Role changed/);
    });

    test('the last active administrator cannot be demoted, disabled or deleted', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { user: only, client: admin } = await signedInAs(app, 'administrator');
      await admin.get(`/admin/users/${only.id}`);
      assert.equal(
        (await admin.post(`/admin/users/${only.id}`, { email: only.email, name: '', role: 'client' })).statusCode,
        409,
      );
      await admin.get(`/admin/users/${only.id}`);
      await admin.post(`/admin/users/${only.id}/disable`);
      await admin.get(`/admin/users/${only.id}`);
      assert.equal((await admin.get(`/admin/users/${only.id}/delete`)).statusCode, 303);
      await admin.post(`/admin/users/${only.id}/delete`, { tickets: 'keep' });
      const row = await db.selectFrom('users').selectAll().where('id', '=', only.id).executeTakeFirstOrThrow();
      assert.equal(row.role, 'administrator');
      assert.equal(row.disabled_at, null);
      // With a second administrator, the first may step down.
      await createUser(app, { role: 'administrator' });
      await admin.get(`/admin/users/${only.id}`);
      assert.equal((await admin.post(`/admin/users/${only.id}/disable`)).statusCode, 303);
    });

    test('deleting a user keeps their tickets under an anonymous owner, or deletes them', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator');
      const { user: keepUser, client: keepClient } = await signedInAs(app, 'client', 'keep@example.com');
      const { user: dropUser, client: dropClient } = await signedInAs(app, 'client', 'drop@example.com');
      const kept = await openTicket(keepClient, { subject: 'Kept ticket' });
      await openTicket(dropClient, { subject: 'Dropped ticket' });

      await admin.get(`/admin/users/${keepUser.id}/delete`);
      assert.equal((await admin.post(`/admin/users/${keepUser.id}/delete`, { tickets: 'keep' })).statusCode, 303);
      await admin.get(`/admin/users/${dropUser.id}/delete`);
      assert.equal((await admin.post(`/admin/users/${dropUser.id}/delete`, { tickets: 'delete' })).statusCode, 303);

      const tickets = await db
        .selectFrom('tickets')
        .innerJoin('users', 'users.id', 'tickets.client_id')
        .select(['tickets.id', 'users.email'])
        .execute();
      assert.deepEqual(tickets, [{ id: kept, email: 'deleted-user@parapet.invalid' }]);
      const staffView = (await admin.get(`/tickets/${kept}`)).body;
      assert.match(staffView, /Deleted user/);
      assert.doesNotMatch(staffView, /keep@example\.com/);
      assert.equal(
        (
          await db
            .selectFrom('users')
            .selectAll()
            .where('email', 'in', ['keep@example.com', 'drop@example.com'])
            .execute()
        ).length,
        0,
      );
      assert.doesNotMatch((await keepClient.get('/')).body, /You are signed in/);
      const deleted = await db
        .selectFrom('audit_events')
        .select('details')
        .where('event', '=', 'user.deleted')
        .execute();
      assert.equal(deleted.length, 2);
    });

    test('the deleted-user placeholder is known by its flag: its .invalid address cannot be registered, invited or taken', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, { REQUIRE_2FA: 'false' });
      const { client: admin } = await signedInAs(app, 'administrator');
      const PLACEHOLDER = 'deleted-user@parapet.invalid';
      // The reproduction: anyone could register the placeholder's address.
      const visitor = new TestClient(app);
      await visitor.get('/register');
      const registered = await visitor.post('/register', {
        email: PLACEHOLDER,
        password: 'tangerine lighthouse orbit',
        password_confirm: 'tangerine lighthouse orbit',
      });
      assert.equal(registered.statusCode, 400);
      assert.match(registered.body, /Enter an email address like name@example\.com/);
      for (const reserved of ['someone@mail.invalid', 'x@LOCALHOST', 'x@host.localhost']) {
        await visitor.get('/register');
        assert.equal(
          (
            await visitor.post('/register', {
              email: reserved,
              password: 'tangerine lighthouse orbit',
              password_confirm: 'tangerine lighthouse orbit',
            })
          ).statusCode,
          400,
          reserved,
        );
      }
      // Invitation and administrator edit.
      await admin.get('/admin/users/new');
      assert.equal(
        (await admin.post('/admin/users', { email: PLACEHOLDER, name: '', role: 'client' })).statusCode,
        400,
      );
      const { user: someone, client: someoneClient } = await signedInAs(app, 'client', 'someone@example.com');
      await admin.get(`/admin/users/${someone.id}`);
      assert.equal(
        (await admin.post(`/admin/users/${someone.id}`, { email: PLACEHOLDER, name: '', role: 'client' })).statusCode,
        400,
      );
      // The user's own email change.
      await someoneClient.get('/account');
      assert.equal(
        (await someoneClient.post('/account/email', { email: PLACEHOLDER, current_password: someone.password }))
          .statusCode,
        400,
      );
      assert.equal(
        (await db.selectFrom('users').select('id').where('email', 'like', '%.invalid').execute()).length,
        0,
        'nothing was created or changed',
      );

      // An account that holds the address from before (created directly, as an older version allowed) is not the placeholder.
      const impostor = await createUser(app, { email: PLACEHOLDER, twoFactor: false });
      const { user: leaving, client: leavingClient } = await signedInAs(app, 'client', 'leaving@example.com');
      const kept = await openTicket(leavingClient, { subject: 'Kept ticket' });
      await admin.get(`/admin/users/${leaving.id}/delete`);
      assert.equal((await admin.post(`/admin/users/${leaving.id}/delete`, { tickets: 'keep' })).statusCode, 303);
      const owner = await db
        .selectFrom('tickets')
        .innerJoin('users', 'users.id', 'tickets.client_id')
        .select(['users.id', 'users.email', 'users.is_placeholder', 'users.disabled_at'])
        .where('tickets.id', '=', kept)
        .executeTakeFirstOrThrow();
      assert.notEqual(owner.id, impostor.id, 'the kept ticket does not go to whoever registered the address');
      assert.equal(owner.is_placeholder, 1);
      assert.match(owner.email, /^deleted-user-[a-z0-9_-]+@parapet\.invalid$/);
      assert.notEqual(owner.disabled_at, null);
      const impostorClient = new TestClient(app);
      await impostorClient.signIn(impostor);
      assert.equal((await impostorClient.get(`/tickets/${kept}`)).statusCode, 404);
      // The impostor is an ordinary account administrators see; the placeholder is neither listed nor editable.
      const list = (await admin.get('/admin/users?q=deleted-user')).body;
      assert.match(list, new RegExp(`/admin/users/${impostor.id}"`));
      assert.doesNotMatch(list, new RegExp(`/admin/users/${owner.id}"`));
      assert.equal((await admin.get(`/admin/users/${owner.id}`)).statusCode, 404);

      // A second deletion that keeps tickets reuses the one placeholder.
      const { user: second, client: secondClient } = await signedInAs(app, 'client', 'second@example.com');
      const keptToo = await openTicket(secondClient, { subject: 'Kept too' });
      await admin.get(`/admin/users/${second.id}/delete`);
      await admin.post(`/admin/users/${second.id}/delete`, { tickets: 'keep' });
      assert.equal(
        (await db.selectFrom('tickets').select('client_id').where('id', '=', keptToo).executeTakeFirstOrThrow())
          .client_id,
        owner.id,
      );
      assert.equal((await db.selectFrom('users').select('id').where('is_placeholder', '=', 1).execute()).length, 1);
    });

    test('five wrong passwords from one IP lock it for five minutes; a right password is refused too; X-Forwarded-For does not help', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const victim = await createUser(app);
      for (let i = 0; i < 5; i++) {
        const res = await new TestClient(app).login(`someone${i}@example.com`, 'wrong password guess');
        assert.equal(res.statusCode, 401);
      }
      const locked = await new TestClient(app).login(victim.email, victim.password);
      assert.equal(locked.statusCode, 429);
      assert.ok(
        Number(locked.headers['retry-after']) > 240 && Number(locked.headers['retry-after']) <= 300,
        String(locked.headers['retry-after']),
      );
      assert.match(locked.body, /Too many attempts/);
      const spoofed = await new TestClient(app, { headers: { 'x-forwarded-for': '203.0.113.77' } }).login(
        victim.email,
        victim.password,
      );
      assert.equal(spoofed.statusCode, 429, 'a spoofed X-Forwarded-For from an untrusted peer changes nothing');
      assert.ok(
        (await db.selectFrom('audit_events').select('event').where('event', '=', 'login.lockout').execute()).length >=
          1,
      );

      // The administrator sees 127.0.0.1 with its count and the accounts tried, and can unlock it.
      const adminUser = await createUser(app, { role: 'administrator' });
      const admin = new TestClient(app, { remoteAddress: '10.0.0.5' });
      await admin.signIn(adminUser);
      const page = await admin.get('/admin/failed-logins');
      assert.match(page.body, /<code>127\.0\.0\.1<\/code><\/td><td data-label="Attempts">7</);
      assert.match(page.body, /someone0@example\.com/);
      assert.match(page.body, /Unlock/);
      assert.equal((await admin.post('/admin/failed-logins/unlock', { ip: '127.0.0.1' })).statusCode, 303);
      assert.equal((await new TestClient(app).login(victim.email, victim.password)).statusCode, 303);
      const audit = await admin.get('/admin/audit?event=login.failure');
      assert.match(audit.body, /login\.failure/);
      assert.match((await admin.get('/admin/audit?event=login.unlocked')).body, /IP address 127\.0\.0\.1 unlocked by /);
      assert.equal((await admin.get('/admin/audit?from=2020-01-01&to=2099-12-31&ip=127.0.0.1')).statusCode, 200);
      const yesterday = await admin.get('/admin/audit?from=yesterday');
      assert.equal(yesterday.statusCode, 200, 'a bad date is dropped with a notice (issue 15, bug 6)');
      assert.match(yesterday.body, /filters were reset/);
    });

    test('behind a trusted proxy each client IP counts separately, and one email is paused whatever the IP', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect, { TRUST_PROXY: 'loopback' });
      const victim = await createUser(app);
      const from = (ip: string) => new TestClient(app, { headers: { 'x-forwarded-for': ip } });
      for (let i = 0; i < 5; i++) {
        assert.equal((await from(`198.51.100.${i + 1}`).login(victim.email, 'credential stuffing')).statusCode, 401);
      }
      const paused = await from('198.51.100.99').login(victim.email, victim.password);
      assert.equal(paused.statusCode, 429, 'the email is paused after five failures, from any IP');
      assert.ok(Number(paused.headers['retry-after']) <= 30);
      assert.equal(
        (await from('198.51.100.99').login('unknown.person@example.com', 'x-password-123')).statusCode,
        401,
        'other emails are unaffected',
      );
      clock.advance(31_000);
      assert.equal(
        (await from('198.51.100.98').login(victim.email, victim.password)).statusCode,
        303,
        'the pause is short and bounded',
      );
    });

    test('a lock holds across two app processes sharing the database', async (t) => {
      const first = await buildTestApp(t, dialect);
      const conn = connect(first.config.database, { poolSize: 2 });
      const second = await buildApp(first.config, {
        conn,
        clock: new TestClock(first.clock.now()),
        logger: false,
        hasher: first.app.hasher,
      });
      t.after(async () => {
        await second.close();
        await conn.close();
      });
      const victim = await createUser(first.app);
      for (let i = 0; i < 5; i++) {
        await new TestClient(first.app).login(victim.email, 'wrong on process one');
      }
      assert.equal((await new TestClient(second).login(victim.email, victim.password)).statusCode, 429);
      // A session made by one process is valid on the other.
      await first.app.db.deleteFrom('rate_limits').execute();
      await first.app.db.deleteFrom('login_throttles').execute();
      const client = new TestClient(first.app);
      await client.signIn(victim);
      const elsewhere = await second.inject({ url: '/', headers: { cookie: client.cookieHeader() } });
      assert.match(elsewhere.body, /You are signed in/);
    });

    test('admin actions need a recent sign-in', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator');
      const target = await createUser(app);
      await admin.get(`/admin/users/${target.id}`);
      clock.advance(16 * 60_000);
      const res = await admin.post(`/admin/users/${target.id}/disable`);
      assert.match(String(res.headers.location), /^\/reauth/);
      assert.equal(
        (await app.db.selectFrom('users').select('disabled_at').where('id', '=', target.id).executeTakeFirstOrThrow())
          .disabled_at,
        null,
      );
    });
  });
}
