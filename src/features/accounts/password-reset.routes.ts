import type { FastifyInstance, FastifyReply } from 'fastify';
import { passwordChangedMail, passwordResetMail } from '../../mail/templates.tsx';
import { sha256Hex } from '../../lib/crypto.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { clearAccountCounters } from '../auth/lockout.service.ts';
import { findUserByEmail, normaliseEmail } from '../users/user.repository.ts';
import { ForgotBody, isValidEmail, ResetBody, TokenQuery } from './accounts.schemas.ts';
import { CheckEmailPage, ForgotPasswordPage, InvalidLinkPage, ResetPasswordPage, type FieldErrors } from './accounts.views.tsx';
import { checkPassword } from './password-policy.ts';
import { endUserSessions } from '../auth/session.service.ts';
import { consumeToken, issueToken, peekToken } from './tokens.ts';
import { originOf } from '../../http/origin.ts';

export const RESET_SENT_MESSAGE = 'If an account exists for that address, we have sent it a link to choose a new password. The link expires in 1 hour.';
const INVALID_RESET = 'This password reset link is invalid, has already been used, or has expired. You can ask for a new one.';

export default function passwordResetRoutes(app: FastifyInstance) {
  const { db, hasher, clock, config } = app;
  const minLength = config.env.PASSWORD_MIN_LENGTH;
  const { resetIp, resetAddress } = app.limits;

  const invalid = (reply: FastifyReply) =>
    reply.page((ctx) => InvalidLinkPage({ ctx, message: INVALID_RESET, actionHref: '/forgot-password', actionLabel: 'Ask for a new link' }), 400);

  app.get('/forgot-password', { config: { access: 'public' } }, async (_request, reply) => reply.page((ctx) => ForgotPasswordPage({ ctx, email: '' })));

  app.post<{ Body: ForgotBody }>('/forgot-password', { config: { access: 'public' }, schema: { body: ForgotBody }, attachValidation: true }, async (request, reply) => {
    const email = request.validationError ? '' : normaliseEmail(request.body.email);
    if (!isValidEmail(email)) {
      return reply.page((ctx) => ForgotPasswordPage({ ctx, email: email.slice(0, 254), error: 'Enter an email address like name@example.com.' }), 400);
    }
    await resetIp.consume(request.ip);
    // Over the per-address limit the answer looks the same; the mailbox owner is just not flooded.
    if ((await resetAddress.admit(sha256Hex(email))).admitted) {
      const user = await findUserByEmail(db, email);
      if (user && user.disabled_at === null) {
        const now = clock.now();
        await db.transaction().execute(async (trx) => {
          const token = await issueToken(trx, now, user.id, 'reset_password', null, user.email);
          await app.mail.enqueue(trx, user.email, passwordResetMail(app.mail.link('/reset-password', { token })));
          await recordAudit(trx, now, originOf(request), { event: 'user.password_reset_requested', targetUserId: user.id });
        });
        app.mail.deliverSoon();
      }
    }
    return reply.page((ctx) => CheckEmailPage({ ctx, title: 'Check your email', message: RESET_SENT_MESSAGE }));
  });

  app.get<{ Querystring: TokenQuery }>('/reset-password', { config: { access: 'public' }, schema: { querystring: TokenQuery } }, async (request, reply) => {
    // The token is in this page's URL: never send it onwards in a Referer header.
    reply.header('referrer-policy', 'no-referrer');
    const token = request.query.token ?? '';
    if (!(await peekToken(db, token, 'reset_password', clock.now()))) {
      return invalid(reply);
    }
    return reply.page((ctx) => ResetPasswordPage({ ctx, token, errors: {}, minLength }));
  });

  app.post<{ Body: ResetBody }>('/reset-password', { config: { access: 'public' }, schema: { body: ResetBody }, attachValidation: true }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    if (request.validationError) {
      return invalid(reply);
    }
    const { token, password, password_confirm } = request.body;
    const now = clock.now();
    const pending = await peekToken(db, token, 'reset_password', now);
    const user = pending && (await db.selectFrom('users').selectAll().where('id', '=', pending.user_id).executeTakeFirst());
    if (!pending || !user) {
      return invalid(reply);
    }
    const errors: FieldErrors = {};
    const weakness = checkPassword({ minLength }, password, user.email);
    if (weakness) {
      errors.password = weakness;
    } else if (password !== password_confirm) {
      errors.password_confirm = 'The two passwords are not the same.';
    }
    if (weakness || errors.password_confirm) {
      return reply.page((ctx) => ResetPasswordPage({ ctx, token, errors, minLength }), 400);
    }
    const passwordHash = await hasher.hash(password);
    const changed = await db.transaction().execute(async (trx) => {
      if (!(await consumeToken(trx, token, 'reset_password', now))) {
        return false;
      }
      // Following the emailed link proves the address, so an unverified account becomes verified.
      await trx
        .updateTable('users')
        .set((eb) => ({ password_hash: passwordHash, updated_at: now, email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(now)) }))
        .where('id', '=', user.id)
        .execute();
      await endUserSessions(trx, now, originOf(request), { userId: user.id, actorUserId: user.id, keep: null, reason: 'password_reset' });
      await app.mail.enqueue(trx, user.email, passwordChangedMail(app.mail.link('/forgot-password')));
      await recordAudit(trx, now, originOf(request), { event: 'user.password_reset', actorUserId: user.id, targetUserId: user.id });
      return true;
    });
    if (!changed) {
      return invalid(reply);
    }
    // Failed current-password checks counted against the old password mean nothing now.
    await app.limits.currentPassword.reset(user.id);
    app.mail.deliverSoon();
    // The owner proved control of the mailbox: every per-account counter starts again from zero.
    await clearAccountCounters(app, db, user);
    if (request.session?.user_id === user.id) {
      await reply.endSession();
    }
    return reply.flash('success', 'Your password has been changed and every session was signed out. Sign in with your new password.').redirect('/login', 303);
  });
}
