import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../db/database.ts';
import { recoveryCodeUsedMail, twoFactorEnabledMail, twoFactorResetMail } from '../../mail/templates.tsx';
import { recordAudit } from '../../audit/audit.repository.ts';
import { endUserSessions } from '../auth/session.service.ts';
import { safeNextPath } from '../auth/login.schemas.ts';
import { CsrfOnlyBody } from '../accounts/accounts.schemas.ts';
import { countRecoveryCodes, replaceRecoveryCodes } from './recovery-codes.ts';
import { generateTotpSecret, groupSecret, matchTotp, qrCodeDataUri, totpUri } from './totp.ts';
import {
  clearTwoFactor,
  createTwoFactorKeys,
  enrolTotp,
  openEnrolment,
  sealEnrolment,
  verifySecondFactor,
} from './two-factor.service.ts';
import { CodeBody, NextQuery, PasswordAndCodeBody, ReauthBody, ReplaceBody, SetupBody, UserIdParams } from './two-factor.schemas.ts';
import { ReauthPage, RecoveryCodesPage, TwoFactorAccountPage, TwoFactorCodePage, TwoFactorSetupPage, type SetupProps } from './two-factor.views.tsx';
import { originOf } from '../../http/origin.ts';

const WRONG_CODE = 'That code is not valid. Codes change every 30 seconds, and each one works only once.';

export default function twoFactorRoutes(app: FastifyInstance) {
  const { db, clock, config, hasher } = app;
  const keys = createTwoFactorKeys(config);
  const { secondFactorAccount, secondFactorIp, currentPassword } = app.limits;

  async function setupPage(request: FastifyRequest, reply: FastifyReply, replacing: boolean, errors: Partial<SetupProps> = {}, keepSealed?: string) {
    const user = request.user as User;
    const sessionId = request.session?.id ?? '';
    const now = clock.now();
    const secret = (keepSealed && openEnrolment(keys, user.id, sessionId, keepSealed, now)) || generateTotpSecret();
    const uri = totpUri(secret, config.env.TOTP_ISSUER, user.email);
    const props: Omit<SetupProps, 'ctx'> = {
      qrDataUri: await qrCodeDataUri(uri),
      secretGrouped: groupSecret(secret),
      uri,
      sealed: sealEnrolment(keys, user.id, sessionId, secret, now),
      replacing,
      ...errors,
    };
    reply.header('referrer-policy', 'no-referrer');
    return reply.page((ctx) => TwoFactorSetupPage({ ctx, ...props }), errors.error || errors.passwordError || errors.oldCodeError ? 400 : 200);
  }

  /** Records a wrong password or code like a failed login (the limits counted it before the check). */
  async function recordWrongCode(request: FastifyRequest, user: User, stage: string) {
    const now = clock.now();
    await db.insertInto('failed_logins').values({ ip: request.ip, email: user.email, user_id: user.id, reason: 'wrong_code', created_at: now }).execute();
    await recordAudit(db, now, originOf(request), { event: 'login.failure', targetUserId: user.id, details: { reason: 'wrong_code', stage } });
  }

  /**
   * Checks a TOTP or recovery code, count first: a point of the IP's and of the account's code limits is
   * spent before the check (429 when none is left), and given back when the code was right.
   */
  async function checkCode(request: FastifyRequest, user: User, code: string, now: number) {
    const ipAttempt = await secondFactorIp.consume(request.ip);
    const accountAttempt = await secondFactorAccount.consume(user.id);
    const result = await verifySecondFactor(db, keys, config.secretKey, user, code, now);
    if (result.ok) {
      await Promise.all([ipAttempt.refund(), accountAttempt.refund()]);
    }
    return result;
  }

  const checkPassword = (user: User, password: string) => currentPassword.guard(user.id, () => hasher.verify(user.password_hash, password));

  async function afterRecoveryCode(request: FastifyRequest, user: User, remaining: number) {
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await app.mail.enqueue(trx, user.email, recoveryCodeUsedMail(remaining, app.mail.link('/account/two-factor')));
      await recordAudit(trx, now, originOf(request), { event: '2fa.recovery_code_used', actorUserId: user.id, targetUserId: user.id, details: { remaining } });
    });
    app.mail.deliverSoon();
  }

  // First enrolment, right after the password: the session reaches only this page until it is done.
  app.get('/two-factor/setup', { config: { access: 'mfa-enrol' } }, async (request, reply) => setupPage(request, reply, false));

  app.post<{ Body: SetupBody }>('/two-factor/setup', { config: { access: 'mfa-enrol' }, schema: { body: SetupBody }, attachValidation: true }, async (request, reply) => {
    const user = request.user as User;
    const now = clock.now();
    const sealed = request.validationError ? undefined : request.body.sealed;
    const secret = sealed ? openEnrolment(keys, user.id, request.session?.id ?? '', sealed, now) : null;
    if (!secret) {
      return setupPage(request, reply, false, { error: 'The setup expired. Scan this new code and try again.' });
    }
    const step = matchTotp(secret, (request.body.code ?? '').replace(/\s/g, ''), now);
    if (step === null) {
      return setupPage(request, reply, false, { error: WRONG_CODE }, sealed);
    }
    const codes = await db.transaction().execute(async (trx) => {
      const made = await enrolTotp(trx, keys, config.secretKey, user.id, secret, step, now);
      await endUserSessions(trx, now, originOf(request), { userId: user.id, actorUserId: user.id, keep: request.session?.id ?? null, reason: '2fa_enrolled' });
      await app.mail.enqueue(trx, user.email, twoFactorEnabledMail(app.mail.link('/account/two-factor')));
      await recordAudit(trx, now, originOf(request), { event: '2fa.enrolled', actorUserId: user.id, targetUserId: user.id });
      await recordAudit(trx, now, originOf(request), { event: 'login.success', actorUserId: user.id, targetUserId: user.id, details: { method: 'totp_enrolment' } });
      return made;
    });
    app.mail.deliverSoon();
    await reply.startSession(user.id);
    return reply.page((ctx) => RecoveryCodesPage({ ctx, codes, continueHref: '/' }));
  });

  app.get<{ Querystring: NextQuery }>('/login/two-factor', { config: { access: 'mfa' }, schema: { querystring: NextQuery } }, async (request, reply) =>
    reply.page((ctx) => TwoFactorCodePage({ ctx, next: safeNextPath(request.query.next) })),
  );

  app.post<{ Body: CodeBody }>('/login/two-factor', { config: { access: 'mfa' }, schema: { body: CodeBody }, attachValidation: true }, async (request, reply) => {
    const user = request.user as User;
    const next = safeNextPath(request.validationError ? undefined : request.body.next);
    const result = request.validationError ? ({ ok: false } as const) : await checkCode(request, user, request.body.code, clock.now());
    if (!result.ok) {
      await recordWrongCode(request, user, 'mfa');
      return reply.page((ctx) => TwoFactorCodePage({ ctx, next, error: WRONG_CODE }), 401);
    }
    // The half-signed-in token is replaced: the session before and after the code never share one.
    await reply.startSession(user.id);
    await recordAudit(db, clock.now(), originOf(request), { event: 'login.success', actorUserId: user.id, targetUserId: user.id, details: { method: result.method } });
    if (result.method === 'recovery') {
      await afterRecoveryCode(request, user, result.remaining);
      reply.flash('info', `You signed in with a recovery code. You have ${result.remaining} left: set up a new authenticator or new codes on your account page.`);
    }
    return reply.redirect(next, 303);
  });

  // Re-authentication for security changes when the last full sign-in is older than 15 minutes.
  app.get<{ Querystring: NextQuery }>('/reauth', { config: { access: 'signed-in' }, schema: { querystring: NextQuery } }, async (request, reply) =>
    reply.page((ctx) => ReauthPage({ ctx, needsCode: Boolean(request.user?.totp_enabled_at), next: safeNextPath(request.query.next) })),
  );

  app.post<{ Body: ReauthBody }>('/reauth', { config: { access: 'signed-in' }, schema: { body: ReauthBody }, attachValidation: true }, async (request, reply) => {
    const user = request.user as User;
    const next = safeNextPath(request.validationError ? undefined : request.body.next);
    const needsCode = Boolean(user.totp_enabled_at);
    const passwordOk = !request.validationError && (await checkPassword(user, request.body.password));
    const codeOk = !needsCode || (passwordOk && (await checkCode(request, user, request.body.code ?? '', clock.now())).ok);
    if (!passwordOk || !codeOk) {
      await recordWrongCode(request, user, 'reauth');
      return reply.page((ctx) => ReauthPage({ ctx, needsCode, next, error: needsCode ? 'The password or the code is not correct.' : 'The password is not correct.' }), 401);
    }
    await reply.startSession(user.id);
    await recordAudit(db, clock.now(), originOf(request), { event: 'auth.reauthenticated', actorUserId: user.id, targetUserId: user.id });
    return reply.redirect(next, 303);
  });

  // The account's two-factor settings.
  const accountPage = async (request: FastifyRequest, reply: FastifyReply, errors: { error?: string; passwordError?: string; codeError?: string } = {}, status = 200) => {
    const user = request.user as User;
    const remaining = await countRecoveryCodes(db, user.id);
    return reply.page((ctx) => TwoFactorAccountPage({ ctx, enabledAt: user.totp_enabled_at, remaining, ...errors }), status);
  };

  app.get('/account/two-factor', { config: { access: 'signed-in', fresh: true } }, async (request, reply) => accountPage(request, reply));

  app.get('/account/two-factor/setup', { config: { access: 'signed-in', fresh: true } }, async (request, reply) =>
    setupPage(request, reply, Boolean(request.user?.totp_enabled_at)),
  );

  app.post<{ Body: ReplaceBody }>(
    '/account/two-factor/setup',
    { config: { access: 'signed-in', fresh: true }, schema: { body: ReplaceBody }, attachValidation: true },
    async (request, reply) => {
      const user = request.user as User;
      const replacing = Boolean(user.totp_enabled_at);
      if (request.validationError) {
        return setupPage(request, reply, replacing, { error: 'Please fill in every field.' });
      }
      const { sealed, code, old_code, current_password } = request.body;
      const now = clock.now();
      const secret = openEnrolment(keys, user.id, request.session?.id ?? '', sealed, now);
      if (!secret) {
        return setupPage(request, reply, replacing, { error: 'The setup expired. Scan this new code and try again.' });
      }
      const passwordOk = await checkPassword(user, current_password);
      const oldOk = !replacing || (passwordOk && (await checkCode(request, user, old_code, now)).ok);
      if (!passwordOk || !oldOk) {
        await recordWrongCode(request, user, 'reenrol');
        return setupPage(
          request,
          reply,
          replacing,
          { passwordError: passwordOk ? undefined : 'Your current password is not correct.', oldCodeError: passwordOk && !oldOk ? WRONG_CODE : undefined },
          sealed,
        );
      }
      const step = matchTotp(secret, code.replace(/\s/g, ''), now);
      if (step === null) {
        return setupPage(request, reply, replacing, { error: `The code from the new app is not valid. ${WRONG_CODE}` }, sealed);
      }
      const codes = await db.transaction().execute(async (trx) => {
        const made = await enrolTotp(trx, keys, config.secretKey, user.id, secret, step, now);
        await endUserSessions(trx, now, originOf(request), { userId: user.id, actorUserId: user.id, keep: request.session?.id ?? null, reason: '2fa_enrolled' });
        await app.mail.enqueue(trx, user.email, twoFactorEnabledMail(app.mail.link('/account/two-factor')));
        await recordAudit(trx, now, originOf(request), { event: '2fa.enrolled', actorUserId: user.id, targetUserId: user.id, details: { replaced: replacing } });
        return made;
      });
      app.mail.deliverSoon();
      await reply.rotateSession();
      return reply.page((ctx) => RecoveryCodesPage({ ctx, codes, continueHref: '/account/two-factor' }));
    },
  );

  app.post<{ Body: PasswordAndCodeBody }>(
    '/account/two-factor/recovery-codes',
    { config: { access: 'signed-in', fresh: true }, schema: { body: PasswordAndCodeBody }, attachValidation: true },
    async (request, reply) => {
      const user = request.user as User;
      if (request.validationError || !user.totp_enabled_at) {
        return accountPage(request, reply, { error: 'Please enter your password and a code.' }, 400);
      }
      const now = clock.now();
      const passwordOk = await checkPassword(user, request.body.current_password);
      const codeOk = passwordOk && (await checkCode(request, user, request.body.code, now)).ok;
      if (!passwordOk || !codeOk) {
        await recordWrongCode(request, user, 'recovery_codes');
        return accountPage(
          request,
          reply,
          { passwordError: passwordOk ? undefined : 'Your current password is not correct.', codeError: passwordOk ? WRONG_CODE : undefined },
          400,
        );
      }
      const codes = await db.transaction().execute(async (trx) => {
        const made = await replaceRecoveryCodes(trx, config.secretKey, user.id, now);
        await endUserSessions(trx, now, originOf(request), { userId: user.id, actorUserId: user.id, keep: request.session?.id ?? null, reason: 'recovery_codes_regenerated' });
        await recordAudit(trx, now, originOf(request), { event: '2fa.recovery_codes_regenerated', actorUserId: user.id, targetUserId: user.id });
        return made;
      });
      await reply.rotateSession();
      return reply.page((ctx) => RecoveryCodesPage({ ctx, codes, continueHref: '/account/two-factor' }));
    },
  );

  // An administrator resets someone's second factor (lost phone and codes). The user page of the admin area links here.
  app.post<{ Params: UserIdParams }>(
    '/admin/users/:id/two-factor/reset',
    { config: { access: 'administrator', fresh: true }, schema: { params: UserIdParams, body: CsrfOnlyBody } },
    async (request, reply) => {
      const admin = request.user as User;
      const target = await db.selectFrom('users').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!target) {
        return reply.callNotFound();
      }
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await clearTwoFactor(trx, target.id, now);
        await endUserSessions(trx, now, originOf(request), { userId: target.id, actorUserId: admin.id, keep: null, reason: '2fa_reset' });
        await app.mail.enqueue(trx, target.email, twoFactorResetMail(app.mail.link('/login')));
        await recordAudit(trx, now, originOf(request), { event: '2fa.reset', actorUserId: admin.id, targetUserId: target.id });
      });
      app.mail.deliverSoon();
      if (target.id === admin.id) {
        // Resetting one's own factor ends one's own sessions too.
        await reply.endSession();
        return reply.flash('info', 'Your two-factor authentication was reset. Sign in to set it up again.').redirect('/login', 303);
      }
      return reply.flash('success', `Two-factor authentication was reset for ${target.email}. They will set it up at their next sign-in.`).redirect(`/admin/users/${target.id}`, 303);
    },
  );
}
