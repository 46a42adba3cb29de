import { serviceDeps } from '../../app-deps.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { originOf } from '../../http/origin.ts';
import { TokenQuery } from './accounts.schemas.ts';
import { InvitationBody } from './invitation.schemas.ts';
import { acceptInvitation, invitationFor, type InvitationDeps } from './invitation.service.ts';
import { InvalidInvitationPage, InvitationPage } from './invitation.views.tsx';

const publicPage = { access: 'public' } as const;

/** The invited person's link (an administrator created their account): choose a password, which also proves the address. */
export default function invitationRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const deps: InvitationDeps = serviceDeps(fastify);
  const { minLength } = deps;

  app.get('/invitation', { config: publicPage, schema: { querystring: TokenQuery } }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const token = request.query.token ?? '';
    const invitation = await invitationFor(deps, token);
    if (!invitation) {
      return reply.page((ctx) => InvalidInvitationPage({ ctx }), 400);
    }
    return reply.page((ctx) => InvitationPage({ ctx, token, invitation, minLength }));
  });

  app.post('/invitation', { config: publicPage, schema: { body: InvitationBody } }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const { token, password, password_confirm } = request.body;
    const result = await acceptInvitation(deps, originOf(request), {
      token,
      password,
      passwordConfirm: password_confirm,
    });
    if (!result.ok) {
      const invitation = result.error === 'weak' ? await invitationFor(deps, token) : null;
      return result.error === 'weak' && invitation
        ? reply.page((ctx) => InvitationPage({ ctx, token, invitation, error: result.message, minLength }), 400)
        : reply.page((ctx) => InvalidInvitationPage({ ctx }), 400);
    }
    return reply
      .flash('success', 'Your password is set. Sign in to finish setting up your account.')
      .redirect('/login', 303);
  });
}
