import { serviceDeps } from '../../app-deps.ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseForm } from '../../http/forms.ts';
import { originOf } from '../../http/origin.ts';
import { ForgotBody, ResetBody, TokenQuery } from './accounts.schemas.ts';
import { CheckEmailPage, ForgotPasswordPage, InvalidLinkPage, ResetPasswordPage } from './accounts.views.tsx';
import { EMAIL_EXAMPLE } from './account.service.ts';
import {
  isResetLinkValid,
  requestPasswordReset,
  resetPassword,
  type PasswordResetDeps,
} from './password-reset.service.ts';

export const RESET_SENT_MESSAGE =
  'If an account exists for that address, we have sent it a link to choose a new password. The link expires in 1 hour.';
const INVALID_RESET =
  'This password reset link is invalid, has already been used, or has expired. You can ask for a new one.';

export default function passwordResetRoutes(app: FastifyInstance) {
  const minLength = app.config.env.PASSWORD_MIN_LENGTH;
  const deps = (): PasswordResetDeps => serviceDeps(app);

  const invalid = (reply: FastifyReply) =>
    reply.page(
      (ctx) =>
        InvalidLinkPage({
          ctx,
          message: INVALID_RESET,
          actionHref: '/forgot-password',
          actionLabel: 'Ask for a new link',
        }),
      400,
    );

  app.get('/forgot-password', { config: { access: 'public' } }, async (_request, reply) =>
    reply.page((ctx) => ForgotPasswordPage({ ctx, email: '' })),
  );

  app.post(
    '/forgot-password',
    { config: { access: 'public' }, schema: { body: ForgotBody }, attachValidation: true },
    async (request, reply) => {
      const form = parseForm(ForgotBody, request.body);
      if (!form.ok || !(await requestPasswordReset(deps(), originOf(request), form.data))) {
        const email = (form.values.email ?? '').slice(0, 254);
        return reply.page((ctx) => ForgotPasswordPage({ ctx, email, error: EMAIL_EXAMPLE }), 400);
      }
      return reply.page((ctx) => CheckEmailPage({ ctx, title: 'Check your email', message: RESET_SENT_MESSAGE }));
    },
  );

  app.get<{ Querystring: TokenQuery }>(
    '/reset-password',
    { config: { access: 'public' }, schema: { querystring: TokenQuery } },
    async (request, reply) => {
      // The token is in this page's URL: never send it onwards in a Referer header.
      reply.header('referrer-policy', 'no-referrer');
      const token = request.query.token ?? '';
      if (!(await isResetLinkValid(deps(), token))) {
        return invalid(reply);
      }
      return reply.page((ctx) => ResetPasswordPage({ ctx, token, errors: {}, minLength }));
    },
  );

  app.post(
    '/reset-password',
    { config: { access: 'public' }, schema: { body: ResetBody }, attachValidation: true },
    async (request, reply) => {
      reply.header('referrer-policy', 'no-referrer');
      const form = parseForm(ResetBody, request.body);
      const result = form.ok
        ? await resetPassword(deps(), originOf(request), form.data)
        : ({ ok: false, invalidLink: true } as const);
      if (!result.ok) {
        return result.invalidLink
          ? invalid(reply)
          : reply.page(
              (ctx) => ResetPasswordPage({ ctx, token: form.values.token ?? '', errors: result.errors, minLength }),
              400,
            );
      }
      if (request.session?.user_id === result.user.id) {
        await reply.endSession();
      }
      return reply
        .flash(
          'success',
          'Your password has been changed and every session was signed out. Sign in with your new password.',
        )
        .redirect('/login', 303);
    },
  );
}
