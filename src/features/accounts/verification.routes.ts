import { isUniqueViolation } from '../../db/errors.ts';
import type { FastifyInstance } from 'fastify';
import { verifyEmailMail } from '../../mail/templates.tsx';
import { recordAudit } from '../../audit/audit.repository.ts';
import { CsrfOnlyBody, TokenBody, TokenQuery } from './accounts.schemas.ts';
import { ConfirmTokenPage, InvalidLinkPage, VerifyPendingPage } from './accounts.views.tsx';
import { endUserSessions } from '../auth/session.service.ts';
import { consumeToken, issueToken, peekToken, voidTokensOfUser } from './tokens.ts';
import { originOf } from '../../http/origin.ts';

const INVALID_VERIFY = 'This verification link is invalid, has already been used, or has expired. Sign in to get a new one.';
const INVALID_CHANGE = 'This confirmation link is invalid, has already been used, or has expired. Request the change again from your account page.';

export default function verificationRoutes(app: FastifyInstance) {
  const { db, clock } = app;

  app.get('/verify-email/pending', { config: { access: 'unverified' } }, async (request, reply) =>
    reply.page((ctx) => VerifyPendingPage({ ctx, email: request.user?.email ?? '' })),
  );

  app.post('/verify-email/resend', { config: { access: 'unverified' }, schema: { body: CsrfOnlyBody } }, async (request, reply) => {
    const user = request.user;
    if (!user) {
      return reply.redirect('/login', 303);
    }
    const now = clock.now();
    // Counted in the limit's store before the email is queued: counting sent tokens first would let parallel requests all pass.
    if (!(await app.limits.verificationResend.admit(user.id)).admitted) {
      return reply.flash('error', 'We have sent several links already. Please wait a few minutes, and check your spam folder.').redirect('/verify-email/pending', 303);
    }
    await db.transaction().execute(async (trx) => {
      const token = await issueToken(trx, now, user.id, 'verify_email', null, user.email);
      await app.mail.enqueue(trx, user.email, verifyEmailMail(app.mail.link('/verify-email', { token })));
    });
    app.mail.deliverSoon();
    return reply.flash('success', `We sent a new link to ${user.email}.`).redirect('/verify-email/pending', 303);
  });

  // Links in emails open a page with a button; only the POST changes anything.
  app.get<{ Querystring: TokenQuery }>('/verify-email', { config: { access: 'public' }, schema: { querystring: TokenQuery } }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const token = request.query.token ?? '';
    if (!(await peekToken(db, token, 'verify_email', clock.now()))) {
      return reply.page((ctx) => InvalidLinkPage({ ctx, message: INVALID_VERIFY, actionHref: '/login', actionLabel: 'Sign in' }), 400);
    }
    return reply.page((ctx) =>
      ConfirmTokenPage({ ctx, title: 'Confirm your email address', message: 'One click and your account is ready.', action: '/verify-email', token, button: 'Confirm my email address' }),
    );
  });

  app.post<{ Body: TokenBody }>('/verify-email', { config: { access: 'public' }, schema: { body: TokenBody } }, async (request, reply) => {
    const now = clock.now();
    const verified = await db.transaction().execute(async (trx) => {
      const used = await consumeToken(trx, request.body.token, 'verify_email', now);
      if (!used) {
        return null;
      }
      await trx.updateTable('users').set({ email_verified_at: now, updated_at: now }).where('id', '=', used.user_id).where('email_verified_at', 'is', null).execute();
      await recordAudit(trx, now, originOf(request), { event: 'user.email_verified', actorUserId: used.user_id, targetUserId: used.user_id });
      return used;
    });
    if (!verified) {
      return reply.page((ctx) => InvalidLinkPage({ ctx, message: INVALID_VERIFY, actionHref: '/login', actionLabel: 'Sign in' }), 400);
    }
    if (request.session?.stage === 'unverified' && request.session.user_id === verified.user_id) {
      // The half-signed-in session was only good for this; the next sign-in starts a full one.
      await reply.endSession();
    }
    return reply.flash('success', 'Your email address is verified. You can sign in now.').redirect('/login', 303);
  });

  app.get<{ Querystring: TokenQuery }>('/confirm-email-change', { config: { access: 'public' }, schema: { querystring: TokenQuery } }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const token = request.query.token ?? '';
    const pending = await peekToken(db, token, 'change_email', clock.now());
    if (!pending?.new_email) {
      return reply.page((ctx) => InvalidLinkPage({ ctx, message: INVALID_CHANGE, actionHref: '/account', actionLabel: 'Go to your account' }), 400);
    }
    const newEmail = pending.new_email;
    return reply.page((ctx) =>
      ConfirmTokenPage({ ctx, title: 'Confirm your new email address', message: `Use ${newEmail} for your account from now on.`, action: '/confirm-email-change', token, button: 'Confirm new address' }),
    );
  });

  app.post<{ Body: TokenBody }>('/confirm-email-change', { config: { access: 'public' }, schema: { body: TokenBody } }, async (request, reply) => {
    const now = clock.now();
    const outcome = await db.transaction().execute(async (trx) => {
      const used = await consumeToken(trx, request.body.token, 'change_email', now);
      if (!used?.new_email) {
        return 'invalid' as const;
      }
      const taken = await trx.selectFrom('users').select('id').where('email', '=', used.new_email).where('id', '!=', used.user_id).executeTakeFirst();
      if (taken) {
        return 'taken' as const;
      }
      // Links mailed to the old address die with it (voided before the user row is locked, the order a
      // concurrent token use takes too); so do the user's other sessions, as a credential changed.
      await voidTokensOfUser(trx, used.user_id, now);
      await trx.updateTable('users').set({ email: used.new_email, email_verified_at: now, updated_at: now }).where('id', '=', used.user_id).execute();
      const keep = request.session?.user_id === used.user_id ? request.session.id : null;
      await endUserSessions(trx, now, originOf(request), { userId: used.user_id, actorUserId: used.user_id, keep, reason: 'email_changed' });
      await recordAudit(trx, now, originOf(request), { event: 'user.email_changed', actorUserId: used.user_id, targetUserId: used.user_id, details: { from: used.account_email, to: used.new_email } });
      return keep ? ('rotate' as const) : ('changed' as const);
    }).catch((error: unknown) => {
      // Another account took the address between the check above and the write (PostgreSQL): the constraint decides.
      if (isUniqueViolation(error)) {
        return 'taken' as const;
      }
      throw error;
    });
    if (outcome === 'invalid') {
      return reply.page((ctx) => InvalidLinkPage({ ctx, message: INVALID_CHANGE, actionHref: '/account', actionLabel: 'Go to your account' }), 400);
    }
    if (outcome === 'taken') {
      return reply.page((ctx) => InvalidLinkPage({ ctx, message: 'That address now belongs to another account, so your address was not changed.', actionHref: '/account', actionLabel: 'Go to your account' }), 409);
    }
    if (outcome === 'rotate') {
      await reply.rotateSession();
    }
    return reply.flash('success', 'Your email address has been changed.').redirect(request.session?.stage === 'full' ? '/account' : '/login', 303);
  });
}
