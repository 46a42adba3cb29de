import { serviceDeps } from '../../app-deps.ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { originOf } from '../../http/origin.ts';
import { requireSessionUser } from '../../http/request-user.ts';
import { CsrfOnlyBody, TokenBody, TokenQuery } from './accounts.schemas.ts';
import { ConfirmTokenPage, InvalidLinkPage, VerifyPendingPage } from './accounts.views.tsx';
import {
  confirmEmailChange,
  isVerificationLinkValid,
  pendingEmailChangeOf,
  resendVerification,
  verifyEmail,
  type VerificationDeps,
} from './verification.service.ts';

const INVALID_VERIFY =
  'This verification link is invalid, has already been used, or has expired. Sign in to get a new one.';
const INVALID_CHANGE =
  'This confirmation link is invalid, has already been used, or has expired. Request the change again from your account page.';

export default function verificationRoutes(app: FastifyInstance) {
  const deps = (): VerificationDeps => serviceDeps(app);
  const invalidVerify = (reply: FastifyReply) =>
    reply.page(
      (ctx) => InvalidLinkPage({ ctx, message: INVALID_VERIFY, actionHref: '/login', actionLabel: 'Sign in' }),
      400,
    );
  const invalidChange = (reply: FastifyReply, message = INVALID_CHANGE, status = 400) =>
    reply.page(
      (ctx) => InvalidLinkPage({ ctx, message, actionHref: '/account', actionLabel: 'Go to your account' }),
      status,
    );

  app.get('/verify-email/pending', { config: { access: 'unverified' } }, async (request, reply) => {
    const user = requireSessionUser(request);
    return reply.page((ctx) => VerifyPendingPage({ ctx, email: user.email }));
  });

  app.post(
    '/verify-email/resend',
    { config: { access: 'unverified' }, schema: { body: CsrfOnlyBody } },
    async (request, reply) => {
      const user = requireSessionUser(request);
      if (!(await resendVerification(deps(), user))) {
        return reply
          .flash('error', 'We have sent several links already. Please wait a few minutes, and check your spam folder.')
          .redirect('/verify-email/pending', 303);
      }
      return reply.flash('success', `We sent a new link to ${user.email}.`).redirect('/verify-email/pending', 303);
    },
  );

  // Links in emails open a page with a button; only the POST changes anything.
  app.get<{ Querystring: TokenQuery }>(
    '/verify-email',
    { config: { access: 'public' }, schema: { querystring: TokenQuery } },
    async (request, reply) => {
      reply.header('referrer-policy', 'no-referrer');
      const token = request.query.token ?? '';
      if (!(await isVerificationLinkValid(deps(), token))) {
        return invalidVerify(reply);
      }
      return reply.page((ctx) =>
        ConfirmTokenPage({
          ctx,
          title: 'Confirm your email address',
          message: 'One click and your account is ready.',
          action: '/verify-email',
          token,
          button: 'Confirm my email address',
        }),
      );
    },
  );

  app.post<{ Body: TokenBody }>(
    '/verify-email',
    { config: { access: 'public' }, schema: { body: TokenBody } },
    async (request, reply) => {
      const verifiedUserId = await verifyEmail(deps(), originOf(request), request.body.token);
      if (verifiedUserId === null) {
        return invalidVerify(reply);
      }
      if (request.session?.stage === 'unverified' && request.session.user_id === verifiedUserId) {
        // The half-signed-in session was only good for this; the next sign-in starts a full one.
        await reply.endSession();
      }
      return reply.flash('success', 'Your email address is verified. You can sign in now.').redirect('/login', 303);
    },
  );

  app.get<{ Querystring: TokenQuery }>(
    '/confirm-email-change',
    { config: { access: 'public' }, schema: { querystring: TokenQuery } },
    async (request, reply) => {
      reply.header('referrer-policy', 'no-referrer');
      const token = request.query.token ?? '';
      const newEmail = await pendingEmailChangeOf(deps(), token);
      if (!newEmail) {
        return invalidChange(reply);
      }
      return reply.page((ctx) =>
        ConfirmTokenPage({
          ctx,
          title: 'Confirm your new email address',
          message: `Use ${newEmail} for your account from now on.`,
          action: '/confirm-email-change',
          token,
          button: 'Confirm new address',
        }),
      );
    },
  );

  app.post<{ Body: TokenBody }>(
    '/confirm-email-change',
    { config: { access: 'public' }, schema: { body: TokenBody } },
    async (request, reply) => {
      const outcome = await confirmEmailChange(deps(), originOf(request), request.body.token, request.session ?? null);
      if (outcome === 'invalid') {
        return invalidChange(reply);
      }
      if (outcome === 'taken') {
        return invalidChange(
          reply,
          'That address now belongs to another account, so your address was not changed.',
          409,
        );
      }
      if (outcome === 'rotate') {
        await reply.rotateSession();
      }
      return reply
        .flash('success', 'Your email address has been changed.')
        .redirect(request.session?.stage === 'full' ? '/account' : '/login', 303);
    },
  );
}
