import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Session, User } from '../../db/database.ts';
import { hmac } from '../../lib/crypto.ts';
import { emailChangeNoticeMail, passwordChangedMail, verifyNewEmailMail } from '../../mail/templates.tsx';
import { endSessionsOfUser } from '../../plugins/sessions.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { normaliseEmail } from '../users/user.repository.ts';
import { ChangeEmailBody, ChangePasswordBody, CsrfOnlyBody, isValidEmail, NotificationsBody, SessionParams } from './accounts.schemas.ts';
import { AccountPage, type FieldErrors, type SessionRow } from './accounts.views.tsx';
import { checkPassword } from './password-policy.ts';
import { describeDevice } from './device.ts';
import { countRecoveryCodes } from '../two-factor/recovery-codes.ts';
import { endUserSessions } from '../auth/session.service.ts';
import { issueToken } from './tokens.ts';
import { originOf } from '../../http/origin.ts';

export default function accountRoutes(app: FastifyInstance) {
  const { db, hasher, clock, config } = app;
  const minLength = config.env.PASSWORD_MIN_LENGTH;
  /** Sessions are named in pages by an HMAC of their id, never by the id (a token hash) itself. */
  const refOf = (session: Session) => hmac(config.secretKey, 'session-ref', session.id).slice(0, 22);

  /** The current password, counted against the account's limit before it is checked (429 once spent). */
  const checkCurrentPassword = (user: User, password: string) => app.limits.currentPassword.guard(user.id, () => hasher.verify(user.password_hash, password));

  async function activeSessions(user: User): Promise<Session[]> {
    const now = clock.now();
    return db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('expires_at', '>', now)
      .where('last_seen_at', '>', now - config.session.idleMs)
      .orderBy('last_seen_at', 'desc')
      .execute();
  }

  async function render(request: FastifyRequest, reply: FastifyReply, errors: FieldErrors = {}, emailValue = '', status = 200) {
    const user = request.user as User;
    const sessions = await activeSessions(user);
    const rows: SessionRow[] = sessions.map((s) => ({
      ref: refOf(s),
      device: describeDevice(s.user_agent),
      ip: s.ip,
      createdAt: s.created_at,
      lastSeenAt: s.last_seen_at,
      current: s.id === request.session?.id,
    }));
    const pending = await db
      .selectFrom('user_tokens')
      .select('new_email')
      .where('user_id', '=', user.id)
      .where('purpose', '=', 'change_email')
      .where('used_at', 'is', null)
      .where('expires_at', '>', clock.now())
      .executeTakeFirst();
    const recoveryCodesLeft = await countRecoveryCodes(db, user.id);
    return reply.page((ctx) => AccountPage({ ctx, sessions: rows, errors, emailValue, minLength, pendingEmail: pending?.new_email ?? null, recoveryCodesLeft }), status);
  }

  app.get('/account', { config: { access: 'signed-in', fresh: true } }, async (request, reply) => render(request, reply));

  app.post<{ Body: ChangePasswordBody }>(
    '/account/password',
    { config: { access: 'signed-in', fresh: true }, schema: { body: ChangePasswordBody }, attachValidation: true },
    async (request, reply) => {
      const user = request.user as User;
      if (request.validationError) {
        return render(request, reply, { passwordForm: 'Please fill in every field (passwords can be up to 1,024 bytes).' }, '', 400);
      }
      const { current_password, password, password_confirm } = request.body;
      const errors: FieldErrors = {};
      if (!(await checkCurrentPassword(user, current_password))) {
        errors.current_password = 'Your current password is not correct.';
      }
      const weakness = checkPassword({ minLength }, password, user.email);
      if (weakness) {
        errors.password = weakness;
      } else if (password !== password_confirm) {
        errors.password_confirm = 'The two passwords are not the same.';
      }
      if (Object.keys(errors).length > 0) {
        return render(request, reply, errors, '', 400);
      }
      const now = clock.now();
      const passwordHash = await hasher.hash(password);
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', user.id).execute();
        await endUserSessions(trx, now, originOf(request), { userId: user.id, actorUserId: user.id, keep: request.session?.id ?? null, reason: 'password_changed' });
        await app.mail.enqueue(trx, user.email, passwordChangedMail(app.mail.link('/forgot-password')));
        await recordAudit(trx, now, originOf(request), { event: 'user.password_changed', actorUserId: user.id, targetUserId: user.id });
      });
      app.mail.deliverSoon();
      // A credential change is a privilege change: this browser gets a fresh session token too.
      await reply.rotateSession();
      return reply.flash('success', 'Your password has been changed. Every other session was signed out.').redirect('/account', 303);
    },
  );

  app.post<{ Body: ChangeEmailBody }>(
    '/account/email',
    { config: { access: 'signed-in', fresh: true }, schema: { body: ChangeEmailBody }, attachValidation: true },
    async (request, reply) => {
      const user = request.user as User;
      if (request.validationError) {
        return render(request, reply, { emailForm: 'Please fill in both fields.' }, '', 400);
      }
      const email = normaliseEmail(request.body.email);
      const errors: FieldErrors = {};
      if (!isValidEmail(email)) {
        errors.email = 'Enter an email address like name@example.com.';
      } else if (email === user.email) {
        errors.email = 'That is already your address.';
      }
      if (!(await checkCurrentPassword(user, request.body.current_password))) {
        errors.email_password = 'Your current password is not correct.';
      }
      if (Object.keys(errors).length > 0) {
        return render(request, reply, errors, email.slice(0, 254), 400);
      }
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        // Whether the new address is free is checked when it is confirmed, so this answer reveals nothing.
        const token = await issueToken(trx, now, user.id, 'change_email', email, user.email);
        await app.mail.enqueue(trx, email, verifyNewEmailMail(app.mail.link('/confirm-email-change', { token })));
        await app.mail.enqueue(trx, user.email, emailChangeNoticeMail(email));
        await recordAudit(trx, now, originOf(request), { event: 'user.email_change_requested', actorUserId: user.id, targetUserId: user.id, details: { to: email } });
      });
      app.mail.deliverSoon();
      return reply.flash('info', `We sent a confirmation link to ${email}. Your address changes once you follow it.`).redirect('/account', 303);
    },
  );

  app.post<{ Params: SessionParams }>(
    '/account/sessions/:ref/revoke',
    { config: { access: 'signed-in', fresh: true }, schema: { params: SessionParams, body: CsrfOnlyBody } },
    async (request, reply) => {
      const user = request.user as User;
      const target = (await activeSessions(user)).find((s) => refOf(s) === request.params.ref && s.id !== request.session?.id);
      if (!target) {
        return reply.callNotFound();
      }
      await db.deleteFrom('sessions').where('id', '=', target.id).where('user_id', '=', user.id).execute();
      await recordAudit(db, clock.now(), originOf(request), { event: 'session.revoked', actorUserId: user.id, targetUserId: user.id, details: { scope: 'one' } });
      return reply.flash('success', 'That session has been signed out.').redirect('/account', 303);
    },
  );

  app.post('/account/sessions/revoke-others', { config: { access: 'signed-in', fresh: true }, schema: { body: CsrfOnlyBody } }, async (request, reply) => {
    const user = request.user as User;
    const count = await endSessionsOfUser(db, user.id, request.session?.id ?? null);
    await recordAudit(db, clock.now(), originOf(request), { event: 'session.revoked', actorUserId: user.id, targetUserId: user.id, details: { scope: 'others', count } });
    return reply.flash('success', 'Every other session has been signed out.').redirect('/account', 303);
  });

  app.post<{ Body: NotificationsBody }>('/account/notifications', { config: { access: 'signed-in' }, schema: { body: NotificationsBody } }, async (request, reply) => {
    const user = request.user as User;
    const on = request.body.notify_tickets === '1';
    await db.updateTable('users').set({ notify_tickets: on ? 1 : 0, updated_at: clock.now() }).where('id', '=', user.id).execute();
    return reply.flash('success', on ? 'Ticket emails are on.' : 'Ticket emails are off.').redirect('/account', 303);
  });
}
