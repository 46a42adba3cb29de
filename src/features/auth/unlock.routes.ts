import type { FastifyInstance, FastifyReply } from 'fastify';
import { originOf } from '../../http/origin.ts';
import { CsrfOnlyBody } from '../accounts/accounts.schemas.ts';
import { InvalidLinkPage } from '../accounts/accounts.views.tsx';
import { isUnlockLinkValid, unlockAccount } from './lockout.service.ts';
import { UnlockParams } from './login.schemas.ts';
import { UnlockConfirmPage } from './unlock.views.tsx';

const INVALID_UNLOCK =
  'This unlock link is invalid, has already been used, or has expired. You can still sign in once the pause ends, or reset your password.';

/** The "unlock my account" link emailed when sign-in to an account is paused (see lockout.service.ts). */
export default function unlockRoutes(app: FastifyInstance) {
  const { db, clock } = app;
  const invalid = (reply: FastifyReply) =>
    reply.page(
      (ctx) =>
        InvalidLinkPage({
          ctx,
          message: INVALID_UNLOCK,
          actionHref: '/forgot-password',
          actionLabel: 'Reset your password',
        }),
      400,
    );

  app.get<{ Params: UnlockParams }>(
    '/unlock/:token',
    { config: { access: 'public' }, schema: { params: UnlockParams } },
    async (request, reply) => {
      // The token is in this page's URL: never send it onwards in a Referer header.
      reply.header('referrer-policy', 'no-referrer');
      const { token } = request.params;
      if (!(await isUnlockLinkValid({ db, now: clock.now() }, token))) {
        return invalid(reply);
      }
      return reply.page((ctx) => UnlockConfirmPage({ ctx, token }));
    },
  );

  app.post<{ Params: UnlockParams }>(
    '/unlock/:token',
    { config: { access: 'public' }, schema: { params: UnlockParams, body: CsrfOnlyBody } },
    async (request, reply) => {
      reply.header('referrer-policy', 'no-referrer');
      if (
        !(await unlockAccount({ db, now: clock.now(), limits: app.limits }, originOf(request), request.params.token))
      ) {
        return invalid(reply);
      }
      return reply
        .flash('success', 'Sign-in to your account is unlocked. You can sign in now.')
        .redirect('/login', 303);
    },
  );
}
