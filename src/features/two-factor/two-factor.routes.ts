import { serviceDeps } from '../../app-deps.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../db/database.ts';
import { parseForm, type FormResult } from '../../http/forms.ts';
import { originOf } from '../../http/origin.ts';
import { requireSessionUser, requireUser } from '../../http/request-user.ts';
import { defineSubject } from '../../http/subject.ts';
import { notFound } from '../../lib/errors.ts';
import { CsrfOnlyBody } from '../accounts/accounts.schemas.ts';
import { safeNextPath } from '../auth/login.schemas.ts';
import { findUserById } from '../users/user.repository.ts';
import {
  CodeBody,
  NextQuery,
  PasswordAndCodeBody,
  ReauthBody,
  ReplaceBody,
  SetupBody,
  UserIdParams,
} from './two-factor.schemas.ts';
import {
  createTwoFactorKeys,
  enrolFirstAuthenticator,
  prepareEnrolment,
  reauthenticate,
  regenerateRecoveryCodes,
  replaceAuthenticator,
  resetTwoFactor,
  signInWithCode,
  unusedRecoveryCodes,
  WRONG_CODE,
  type EnrolResult,
  type TwoFactorDeps,
} from './two-factor.service.ts';
import {
  ReauthPage,
  RecoveryCodesPage,
  TwoFactorAccountPage,
  TwoFactorCodePage,
  TwoFactorSetupPage,
} from './two-factor.views.tsx';

type SetupErrors = Extract<EnrolResult, { ok: false }>['errors'];
type AccountErrors = { error?: string; passwordError?: string; codeError?: string };

/** A sealed secret that cannot be read starts the setup again, like an expired one; a code that cannot be is wrong. */
function setupInput(form: FormResult<SetupBody>): { sealed: string | undefined; code: string | null } {
  if (form.ok) {
    return form.data;
  }
  return { sealed: form.errors.sealed || form.errors.form ? undefined : form.values.sealed, code: null };
}

/** The user whose second factor an administrator resets. */
const targetUser = defineSubject<User>('target user');

export default function twoFactorRoutes(app: FastifyInstance) {
  const { db, config } = app;
  const keys = createTwoFactorKeys(config);
  const deps = (): TwoFactorDeps => ({ ...serviceDeps(app), keys });
  const sessionIdOf = (request: FastifyRequest) => request.session?.id ?? '';

  /** `next`: where the first setup goes after the recovery codes (the page the sign-in was going to). */
  async function setupPage(
    request: FastifyRequest,
    reply: FastifyReply,
    replacing: boolean,
    errors: SetupErrors = {},
    keepSealed?: string,
    next = '/',
  ) {
    const user = requireSessionUser(request);
    const enrolment = await prepareEnrolment(deps(), user, sessionIdOf(request), keepSealed);
    reply.header('referrer-policy', 'no-referrer');
    return reply.page(
      (ctx) => TwoFactorSetupPage({ ctx, ...enrolment, replacing, next, ...errors }),
      errors.error || errors.passwordError || errors.oldCodeError ? 400 : 200,
    );
  }

  async function accountPage(request: FastifyRequest, reply: FastifyReply, errors: AccountErrors = {}, status = 200) {
    const user = requireUser(request);
    const remaining = await unusedRecoveryCodes(deps(), user);
    return reply.page(
      (ctx) => TwoFactorAccountPage({ ctx, enabledAt: user.totp_enabled_at, remaining, ...errors }),
      status,
    );
  }

  // First enrolment, right after the password: the session reaches only this page until it is done.
  app.get<{ Querystring: NextQuery }>(
    '/two-factor/setup',
    { config: { access: 'mfa-enrol' }, schema: { querystring: NextQuery } },
    async (request, reply) => setupPage(request, reply, false, {}, undefined, safeNextPath(request.query.next)),
  );

  app.post(
    '/two-factor/setup',
    { config: { access: 'mfa-enrol' }, schema: { body: SetupBody }, attachValidation: true },
    async (request, reply) => {
      const user = requireSessionUser(request);
      const form = parseForm(SetupBody, request.body);
      const next = safeNextPath(form.values.next);
      const result = await enrolFirstAuthenticator(
        deps(),
        originOf(request),
        user,
        sessionIdOf(request),
        setupInput(form),
      );
      if (!result.ok) {
        return setupPage(request, reply, false, result.errors, result.keepSealed, next);
      }
      await reply.startSession(user.id);
      return reply.page((ctx) => RecoveryCodesPage({ ctx, codes: result.codes, continueHref: next }));
    },
  );

  app.get<{ Querystring: NextQuery }>(
    '/login/two-factor',
    { config: { access: 'mfa' }, schema: { querystring: NextQuery } },
    async (request, reply) => reply.page((ctx) => TwoFactorCodePage({ ctx, next: safeNextPath(request.query.next) })),
  );

  app.post(
    '/login/two-factor',
    { config: { access: 'mfa' }, schema: { body: CodeBody }, attachValidation: true },
    async (request, reply) => {
      const user = requireSessionUser(request);
      const form = parseForm(CodeBody, request.body);
      const next = safeNextPath(form.ok ? form.data.next : undefined);
      // An unreadable code is a wrong code: the same 401 and the same failed-login record.
      const result = await signInWithCode(deps(), originOf(request), user, form.ok ? form.data.code : null);
      if (!result.ok) {
        return reply.page((ctx) => TwoFactorCodePage({ ctx, next, error: WRONG_CODE }), 401);
      }
      // The half-signed-in token is replaced: the session before and after the code never share one.
      await reply.startSession(user.id);
      if (result.method === 'recovery') {
        reply.flash(
          'info',
          `You signed in with a recovery code. You have ${result.remaining} left: set up a new authenticator or new codes on your account page.`,
        );
      }
      return reply.redirect(next, 303);
    },
  );

  // Re-authentication for security changes when the last full sign-in is older than 15 minutes.
  app.get<{ Querystring: NextQuery }>(
    '/reauth',
    { config: { access: 'signed-in' }, schema: { querystring: NextQuery } },
    async (request, reply) => {
      const user = requireUser(request);
      return reply.page((ctx) =>
        ReauthPage({ ctx, needsCode: Boolean(user.totp_enabled_at), next: safeNextPath(request.query.next) }),
      );
    },
  );

  app.post(
    '/reauth',
    { config: { access: 'signed-in' }, schema: { body: ReauthBody }, attachValidation: true },
    async (request, reply) => {
      const user = requireUser(request);
      const form = parseForm(ReauthBody, request.body);
      const next = safeNextPath(form.ok ? form.data.next : undefined);
      const needsCode = Boolean(user.totp_enabled_at);
      if (!(await reauthenticate(deps(), originOf(request), user, form.ok ? form.data : null))) {
        return reply.page(
          (ctx) =>
            ReauthPage({
              ctx,
              needsCode,
              next,
              error: needsCode ? 'The password or the code is not correct.' : 'The password is not correct.',
            }),
          401,
        );
      }
      await reply.startSession(user.id);
      return reply.redirect(next, 303);
    },
  );

  // The account's two-factor settings.
  app.get('/account/two-factor', { config: { access: 'signed-in', fresh: true } }, async (request, reply) =>
    accountPage(request, reply),
  );

  app.get('/account/two-factor/setup', { config: { access: 'signed-in', fresh: true } }, async (request, reply) =>
    setupPage(request, reply, Boolean(requireUser(request).totp_enabled_at)),
  );

  app.post(
    '/account/two-factor/setup',
    { config: { access: 'signed-in', fresh: true }, schema: { body: ReplaceBody }, attachValidation: true },
    async (request, reply) => {
      const user = requireUser(request);
      const replacing = Boolean(user.totp_enabled_at);
      const form = parseForm(ReplaceBody, request.body);
      if (!form.ok) {
        return setupPage(request, reply, replacing, { error: 'Please fill in every field.' });
      }
      const result = await replaceAuthenticator(deps(), originOf(request), user, sessionIdOf(request), form.data);
      if (!result.ok) {
        return setupPage(request, reply, replacing, result.errors, result.keepSealed);
      }
      await reply.rotateSession();
      return reply.page((ctx) => RecoveryCodesPage({ ctx, codes: result.codes, continueHref: '/account/two-factor' }));
    },
  );

  app.post(
    '/account/two-factor/recovery-codes',
    { config: { access: 'signed-in', fresh: true }, schema: { body: PasswordAndCodeBody }, attachValidation: true },
    async (request, reply) => {
      const user = requireUser(request);
      const form = parseForm(PasswordAndCodeBody, request.body);
      if (!form.ok || !user.totp_enabled_at) {
        return accountPage(request, reply, { error: 'Please enter your password and a code.' }, 400);
      }
      const result = await regenerateRecoveryCodes(deps(), originOf(request), user, sessionIdOf(request), form.data);
      if (!result.ok) {
        return accountPage(request, reply, result.errors, 400);
      }
      await reply.rotateSession();
      return reply.page((ctx) => RecoveryCodesPage({ ctx, codes: result.codes, continueHref: '/account/two-factor' }));
    },
  );

  // An administrator resets someone's second factor (lost phone and codes). The user page of the admin area links here.
  app.post<{ Params: UserIdParams }>(
    '/admin/users/:id/two-factor/reset',
    {
      config: { access: 'administrator', fresh: true },
      schema: { params: UserIdParams, body: CsrfOnlyBody },
      preHandler: targetUser.loader(async (request) => {
        const target = await findUserById(db, (request.params as UserIdParams).id);
        if (!target) {
          throw notFound();
        }
        return target;
      }),
    },
    async (request, reply) => {
      const admin = requireUser(request);
      const target = targetUser.of(request);
      await resetTwoFactor(deps(), originOf(request), admin, target);
      if (target.id === admin.id) {
        // Resetting one's own factor ends one's own sessions too.
        await reply.endSession();
        return reply
          .flash('info', 'Your two-factor authentication was reset. Sign in to set it up again.')
          .redirect('/login', 303);
      }
      return reply
        .flash(
          'success',
          `Two-factor authentication was reset for ${target.email}. They will set it up at their next sign-in.`,
        )
        .redirect(`/admin/users/${target.id}`, 303);
    },
  );
}
