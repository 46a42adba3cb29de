import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pendingStagePage } from '../../plugins/access.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { HomePage } from '../home/home.views.tsx';
import { tooManyRequests } from '../../lib/errors.ts';
import { deviceCookieName, trustedDevice } from './device-cookie.ts';
import { sendUnlockMail } from './lockout.service.ts';
import { clearLoginFailures, countAttempt, deviceThrottleKey, throttleKey } from './login-throttle.ts';
import { checkCredentials } from './login.service.ts';
import { LoginBody, LoginQuery, safeNextPath } from './login.schemas.ts';
import { LoginPage, type LoginForm } from './login.views.tsx';
import { findUserByEmail, normaliseEmail } from '../users/user.repository.ts';
import { originOf } from '../../http/origin.ts';

export const INVALID_CREDENTIALS = 'Invalid email or password.';

function renderLogin(reply: FastifyReply, form: LoginForm, status = 200) {
  return reply.page((ctx) => LoginPage({ ctx, form }), status);
}

function isSignedIn(request: FastifyRequest): boolean {
  return request.user !== null && request.session?.stage === 'full';
}

export default function loginRoutes(app: FastifyInstance) {
  const { db, hasher, clock } = app;
  const ipLimit = app.limits.loginIp;

  app.get('/', { config: { access: 'public' } }, async (request, reply) => {
    const pending = pendingStagePage(request);
    if (pending) {
      return reply.redirect(pending, 303);
    }
    return isSignedIn(request) ? reply.page((ctx) => HomePage({ ctx })) : renderLogin(reply, {});
  });

  app.get<{ Querystring: LoginQuery }>('/login', { config: { access: 'public' }, schema: { querystring: LoginQuery } }, async (request, reply) => {
    if (isSignedIn(request)) {
      return reply.redirect(safeNextPath(request.query.next), 303);
    }
    const pending = pendingStagePage(request);
    if (pending) {
      return reply.redirect(pending, 303);
    }
    return renderLogin(reply, { next: safeNextPath(request.query.next) });
  });

  app.post<{ Body: LoginBody }>(
    '/login',
    { config: { access: 'public' }, schema: { body: LoginBody }, attachValidation: true },
    async (request, reply) => {
      const body = request.body ?? ({} as Partial<LoginBody>);
      const email = typeof body.email === 'string' ? normaliseEmail(body.email).slice(0, 254) : '';
      const next = safeNextPath(typeof body.next === 'string' ? body.next : undefined);
      if (request.validationError) {
        return renderLogin(reply, { email, next, error: 'Enter your email and password (passwords can be up to 1,024 bytes).' }, 400);
      }
      const now = clock.now();
      // Locked IPs and paused emails are refused before the password is even checked: a right password too.
      // The IP's point is spent first (atomically), so parallel attempts cannot all pass a check made before counting.
      const ipAttempt = await ipLimit.admit(request.ip);
      if (!ipAttempt.admitted) {
        await db.insertInto('failed_logins').values({ ip: request.ip, email, user_id: null, reason: 'ip_locked', created_at: now }).execute();
        throw tooManyRequests(ipAttempt.retryAfterSeconds);
      }
      // Per account: the attempt is counted first (login-throttle.ts), on the account's counter, or on the
      // device's own counter when it carries a valid device cookie for this account (device-cookie.ts).
      const owner = request.cookies[deviceCookieName(app.config)] ? await findUserByEmail(db, email) : undefined;
      const device = trustedDevice(request, app.config, owner, now);
      const key = owner && device ? deviceThrottleKey(owner.id, device) : throttleKey(email);
      const attempt = await countAttempt(db, key, now);
      if (!attempt.admitted) {
        await db.insertInto('failed_logins').values({ ip: request.ip, email, user_id: null, reason: 'locked', created_at: now }).execute();
        throw tooManyRequests(attempt.retryMs / 1000);
      }
      const result = await checkCredentials({ db, hasher, now }, body.email, body.password);
      if (!result.ok) {
        if (result.reason === 'invalid_input') {
          await ipAttempt.refund();
          return renderLogin(reply, { email, next, error: 'Enter your email and password (passwords can be up to 1,024 bytes).' }, 400);
        }
        const ipLock = { locked: ipAttempt.remaining === 0 };
        const { count: failures, pauseMs } = attempt;
        await db
          .insertInto('failed_logins')
          .values({ ip: request.ip, email, user_id: result.user?.id ?? null, reason: result.reason, created_at: now })
          .execute();
        await recordAudit(db, now, originOf(request), {
          event: 'login.failure',
          targetUserId: result.user?.id ?? null,
          details: { reason: result.reason, email, consecutive: failures },
        });
        if (ipLock.locked || pauseMs > 0) {
          await recordAudit(db, now, originOf(request), {
            event: 'login.lockout',
            targetUserId: result.user?.id ?? null,
            details: { scope: ipLock.locked ? 'ip' : device ? 'device' : 'email', email, pauseSeconds: Math.round((ipLock.locked ? app.config.env.LOGIN_LOCK_MINUTES * 60_000 : pauseMs) / 1000) },
          });
        }
        if (pauseMs > 0 && !device && result.user) {
          await sendUnlockMail(app, request, result.user, now);
        }
        // One message, one status for every failure: the form never tells whether an account exists.
        return renderLogin(reply, { email, next, error: INVALID_CREDENTIALS }, 401);
      }
      await ipAttempt.refund();
      await clearLoginFailures(db, key);
      if (result.user.email_verified_at === null) {
        // Right password, unproven address: a session that reaches only the "verify your email" page.
        await reply.startSession(result.user.id, 'unverified');
        await recordAudit(db, now, originOf(request), { event: 'login.success', actorUserId: result.user.id, targetUserId: result.user.id, details: { stage: 'unverified' } });
        return reply.redirect('/verify-email/pending', 303);
      }
      if (result.user.totp_enabled_at !== null) {
        // Password right; the code is next. This session reaches only the code page and sign-out.
        await reply.startSession(result.user.id, 'mfa');
        return reply.redirect(next === '/' ? '/login/two-factor' : `/login/two-factor?next=${encodeURIComponent(next)}`, 303);
      }
      if (app.config.env.REQUIRE_2FA) {
        await reply.startSession(result.user.id, 'mfa_enrol');
        return reply.redirect('/two-factor/setup', 303);
      }
      await reply.startSession(result.user.id);
      await recordAudit(db, now, originOf(request), { event: 'login.success', actorUserId: result.user.id, targetUserId: result.user.id, details: { method: 'password' } });
      return reply.redirect(next, 303);
    },
  );

  app.post('/logout', { config: { access: 'session' } }, async (request, reply) => {
    const userId = request.user?.id ?? null;
    await reply.endSession();
    await recordAudit(db, clock.now(), originOf(request), { event: 'logout', actorUserId: userId, targetUserId: userId });
    return reply.flash('success', 'You have signed out.').redirect('/login', 303);
  });
}
