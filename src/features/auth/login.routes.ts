import { serviceDeps } from '../../app-deps.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseForm } from '../../http/forms.ts';
import { originOf } from '../../http/origin.ts';
import { pendingStagePage } from '../../plugins/access.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { deviceCookieName, trustedDevice } from './device-cookie.ts';
import { LoginBody, LoginQuery, safeNextPath } from './login.schemas.ts';
import { pageAfterSignIn, signIn, type DeviceCookie, type SignInDeps } from './login.service.ts';
import { LockoutPage, LoginPage, type LoginForm } from './login.views.tsx';

export const INVALID_CREDENTIALS = 'Invalid email or password.';
const INVALID_INPUT = 'Enter your email and password (passwords can be up to 1,024 bytes).';

function renderLogin(reply: FastifyReply, form: LoginForm, status = 200) {
  return reply.page((ctx) => LoginPage({ ctx, form }), status);
}

function isSignedIn(request: FastifyRequest): boolean {
  return request.user !== null && request.session?.stage === 'full';
}

export default function loginRoutes(app: FastifyInstance) {
  const { db, clock, config } = app;
  const deps = (): SignInDeps => serviceDeps(app);
  const deviceCookieOf = (request: FastifyRequest, now: number): DeviceCookie => ({
    present: Boolean(request.cookies[deviceCookieName(config)]),
    trustedFor: (user) => trustedDevice(request, config, user, now),
  });

  // `/` (the sign-in form for everyone not signed in) is in features/home/home.routes.ts.
  app.get<{ Querystring: LoginQuery }>(
    '/login',
    { config: { access: 'public' }, schema: { querystring: LoginQuery } },
    async (request, reply) => {
      if (isSignedIn(request)) {
        return reply.redirect(safeNextPath(request.query.next), 303);
      }
      const next = safeNextPath(request.query.next);
      const pending = pendingStagePage(request, next);
      if (pending) {
        return reply.redirect(pending, 303);
      }
      return renderLogin(reply, { next });
    },
  );

  app.post(
    '/login',
    { config: { access: 'public' }, schema: { body: LoginBody }, attachValidation: true },
    async (request, reply) => {
      const form = parseForm(LoginBody, request.body);
      const email = (form.values.email ?? '').slice(0, 254);
      const next = safeNextPath(form.values.next);
      if (!form.ok) {
        return renderLogin(reply, { email, next, error: INVALID_INPUT }, 400);
      }
      const signInDeps = deps();
      const outcome = await signIn(signInDeps, originOf(request), deviceCookieOf(request, signInDeps.now), form.data);
      if (!outcome.ok) {
        // One message, one status for every failure: the form never tells whether an account exists.
        if (outcome.status === 429) {
          reply.header('retry-after', String(Math.max(1, Math.ceil(outcome.retryMs / 1000))));
          return reply.page((ctx) => LockoutPage({ ctx, retryMs: outcome.retryMs, next }), 429);
        }
        if (outcome.status === 400) {
          return renderLogin(reply, { email, next, error: INVALID_INPUT }, 400);
        }
        return renderLogin(reply, { email, next, error: INVALID_CREDENTIALS, notice: outcome.notice }, 401);
      }
      // Before the full stage the session reaches only its one page (verify the email, the code, set up 2FA).
      await reply.startSession(outcome.userId, outcome.stage);
      return reply.redirect(pageAfterSignIn(outcome.stage, next), 303);
    },
  );

  app.post('/logout', { config: { access: 'session' } }, async (request, reply) => {
    const userId = request.user?.id ?? null;
    await reply.endSession();
    await recordAudit(db, clock.now(), originOf(request), {
      event: 'logout',
      actorUserId: userId,
      targetUserId: userId,
    });
    return reply.flash('success', 'You have signed out.').redirect('/login', 303);
  });
}
