import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { InvalidLinkPage } from '../accounts/accounts.views.tsx';
import { consumeToken, peekToken } from '../accounts/tokens.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { clearAccountCounters } from './lockout.service.ts';
import { UnlockConfirmPage } from './unlock.views.tsx';
import { originOf } from '../../http/origin.ts';

const UnlockParams = Type.Object({ token: Type.String({ maxLength: 100 }) });
type UnlockParams = Static<typeof UnlockParams>;
const UnlockBody = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false });

const INVALID_UNLOCK = 'This unlock link is invalid, has already been used, or has expired. You can still sign in once the pause ends, or reset your password.';

/** The "unlock my account" link emailed when sign-in to an account is paused (see lockout.service.ts). */
export default function unlockRoutes(app: FastifyInstance) {
  const { db, clock } = app;
  const invalid = (reply: FastifyReply) =>
    reply.page((ctx) => InvalidLinkPage({ ctx, message: INVALID_UNLOCK, actionHref: '/forgot-password', actionLabel: 'Reset your password' }), 400);

  app.get<{ Params: UnlockParams }>('/unlock/:token', { config: { access: 'public' }, schema: { params: UnlockParams } }, async (request, reply) => {
    // The token is in this page's URL: never send it onwards in a Referer header.
    reply.header('referrer-policy', 'no-referrer');
    const { token } = request.params;
    if (!(await peekToken(db, token, 'unlock', clock.now()))) {
      return invalid(reply);
    }
    return reply.page((ctx) => UnlockConfirmPage({ ctx, token }));
  });

  app.post<{ Params: UnlockParams }>('/unlock/:token', { config: { access: 'public' }, schema: { params: UnlockParams, body: UnlockBody } }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const now = clock.now();
    const used = await consumeToken(db, request.params.token, 'unlock', now);
    const user = used && (await db.selectFrom('users').select(['id', 'email', 'disabled_at']).where('id', '=', used.user_id).executeTakeFirst());
    if (!user || user.disabled_at !== null) {
      return invalid(reply);
    }
    await clearAccountCounters(app, db, user);
    await recordAudit(db, now, originOf(request), { event: 'login.unlocked', actorUserId: user.id, targetUserId: user.id, details: { scope: 'account', via: 'email_link' } });
    return reply.flash('success', 'Sign-in to your account is unlocked. You can sign in now.').redirect('/login', 303);
  });
}
