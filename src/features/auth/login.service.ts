import type { ServiceDeps } from '../../app-deps.ts';
import type { Limits } from '../../plugins/rate-limit.ts';
import type { DB, SessionStage, User } from '../../db/database.ts';
import type { Origin } from '../../lib/origin.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { recordFailedLogin } from './failed-login.repository.ts';
import { sendUnlockMail } from './lockout.service.ts';
import { deviceThrottleKey, FREE_FAILURES, pauseAfter, throttleKey } from './login-throttle.ts';
import { clearLoginFailures, countAttempt } from './login-throttle.repository.ts';
import type { PasswordHasher } from '../../lib/password-hasher.ts';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';
import { findUserByEmail, updatePasswordHash } from '../users/user.repository.ts';

export type LoginFailure = 'unknown_email' | 'wrong_password' | 'disabled' | 'invalid_input';
export type LoginResult = { ok: true; user: User } | { ok: false; reason: LoginFailure; user: User | null };

/**
 * Checks an email and password. Every path that reaches the hasher does exactly one argon2 verification,
 * so an unknown email takes as long as a wrong password. Over-long input is refused before any hashing.
 */
export async function checkCredentials(
  deps: { db: DB; hasher: PasswordHasher; now: number },
  email: string,
  password: string,
): Promise<LoginResult> {
  if (email.length === 0 || password.length === 0 || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    return { ok: false, reason: 'invalid_input', user: null };
  }
  const user = (await findUserByEmail(deps.db, email)) ?? null;
  const valid = await deps.hasher.verify(user?.password_hash ?? null, password);
  if (!user) {
    return { ok: false, reason: 'unknown_email', user: null };
  }
  if (!valid) {
    return { ok: false, reason: 'wrong_password', user };
  }
  if (user.disabled_at !== null) {
    return { ok: false, reason: 'disabled', user };
  }
  if (deps.hasher.needsRehash(user.password_hash)) {
    // Parameters were raised since this hash was made: upgrade it now that we hold the plain password.
    await updatePasswordHash(deps.db, user.id, await deps.hasher.hash(password), deps.now);
  }
  return { ok: true, user };
}

export type SignInDeps = Pick<ServiceDeps, 'db' | 'hasher' | 'now' | 'mail' | 'ipLockMinutes' | 'requireTwoFactor'> & {
  limits: Pick<Limits, 'loginIp' | 'unlockMail' | 'secondFactorAccount'>;
};

/**
 * The browser's device cookie, read by the route (the cookie is the request's): whether one was sent at all, and
 * the trusted device id it names for a given account (see device-cookie.ts).
 */
export interface DeviceCookie {
  present: boolean;
  trustedFor(user: User | undefined): string | null;
}

/**
 * What a wrong password is told about the next ones, from the same counters the pause uses (the attempted email's,
 * or the trusted device's, and the network's): they exist for unknown emails too, so it says nothing about accounts.
 * `attemptsLeft` failures more start a pause of `pauseMs`; `pausedMs` > 0 when this failure started one.
 */
export interface LockoutNotice {
  attemptsLeft: number;
  pauseMs: number;
  pausedMs: number;
}

/** Attempts left at or under which the form warns. */
const WARN_AT = 2;

/**
 * A refused sign-in: 400 for input that cannot be a sign-in and 401 for every other failure re-render the form (401
 * with a notice once a pause is near or has started); 429 while sign-in is paused shows the lockout page.
 */
export type SignInOutcome =
  | { ok: false; status: 400 }
  | { ok: false; status: 401; notice: LockoutNotice | null }
  | { ok: false; status: 429; retryMs: number }
  | { ok: true; userId: number; stage: SessionStage };

function noticeAfterFailure(
  count: number,
  pauseMs: number,
  ip: { remaining: number; lockMs: number },
): LockoutNotice | null {
  if (ip.remaining === 0 || pauseMs > 0) {
    return { attemptsLeft: 0, pauseMs: 0, pausedMs: Math.max(ip.remaining === 0 ? ip.lockMs : 0, pauseMs) };
  }
  const emailLeft = Math.max(0, FREE_FAILURES - count);
  const attemptsLeft = Math.min(emailLeft, ip.remaining);
  if (attemptsLeft > WARN_AT) {
    return null;
  }
  const byIp = ip.remaining <= emailLeft;
  return { attemptsLeft, pauseMs: byIp ? ip.lockMs : pauseAfter(FREE_FAILURES), pausedMs: 0 };
}

/**
 * One sign-in attempt with a password. Locked IPs and paused emails are refused (429) before the password is
 * even checked, a right password too; the IP's point is spent first (atomically), so parallel attempts cannot
 * all pass a check made before counting. Returns the stage the new session starts at.
 */
export async function signIn(
  deps: SignInDeps,
  origin: Origin,
  device: DeviceCookie,
  input: { email: string; password: string },
): Promise<SignInOutcome> {
  const { db, now } = deps;
  const email = input.email;
  const ipAttempt = await deps.limits.loginIp.admit(origin.ip);
  if (!ipAttempt.admitted) {
    await recordFailedLogin(db, now, { ip: origin.ip, email, userId: null, reason: 'ip_locked' });
    return { ok: false, status: 429, retryMs: ipAttempt.retryAfterSeconds * 1000 };
  }
  // Per account: the attempt is counted first (login-throttle.ts), on the account's counter, or on the
  // device's own counter when it carries a valid device cookie for this account (device-cookie.ts).
  const owner = device.present ? await findUserByEmail(db, email) : undefined;
  const trusted = device.trustedFor(owner);
  const key = owner && trusted ? deviceThrottleKey(owner.id, trusted) : throttleKey(email);
  const attempt = await countAttempt(db, key, now);
  if (!attempt.admitted) {
    await recordFailedLogin(db, now, { ip: origin.ip, email, userId: null, reason: 'locked' });
    return { ok: false, status: 429, retryMs: attempt.retryMs };
  }
  const result = await checkCredentials(deps, email, input.password);
  if (!result.ok) {
    if (result.reason === 'invalid_input') {
      await ipAttempt.refund();
      return { ok: false, status: 400 };
    }
    const ipLocked = ipAttempt.remaining === 0;
    const { count: failures, pauseMs } = attempt;
    const targetUserId = result.user?.id ?? null;
    await recordFailedLogin(db, now, { ip: origin.ip, email, userId: targetUserId, reason: result.reason });
    await recordAudit(db, now, origin, {
      event: 'login.failure',
      targetUserId,
      details: { reason: result.reason, email, consecutive: failures },
    });
    if (ipLocked || pauseMs > 0) {
      const pauseSeconds = Math.round((ipLocked ? deps.ipLockMinutes * 60_000 : pauseMs) / 1000);
      await recordAudit(db, now, origin, {
        event: 'login.lockout',
        targetUserId,
        details: { scope: ipLocked ? 'ip' : trusted ? 'device' : 'email', email, pauseSeconds },
      });
    }
    if (pauseMs > 0 && !trusted && result.user) {
      await sendUnlockMail(deps, origin, result.user);
    }
    const notice = noticeAfterFailure(failures, pauseMs, {
      remaining: ipAttempt.remaining,
      lockMs: deps.ipLockMinutes * 60_000,
    });
    return { ok: false, status: 401, notice };
  }
  await ipAttempt.refund();
  await clearLoginFailures(db, key);
  const user = result.user;
  const stage = stageAfterPassword(user, deps.requireTwoFactor);
  if (stage === 'unverified' || stage === 'full') {
    const details: Record<string, string> = stage === 'unverified' ? { stage: 'unverified' } : { method: 'password' };
    await recordAudit(db, now, origin, {
      event: 'login.success',
      actorUserId: user.id,
      targetUserId: user.id,
      details,
    });
  }
  return { ok: true, userId: user.id, stage };
}

/**
 * Right password, then: an unproven address reaches only the "verify your email" page; a second factor is
 * asked next; under REQUIRE_2FA an account without one sets it up; otherwise the sign-in is complete.
 */
function stageAfterPassword(user: User, requireTwoFactor: boolean): SessionStage {
  if (user.email_verified_at === null) {
    return 'unverified';
  }
  if (user.totp_enabled_at !== null) {
    return 'mfa';
  }
  return requireTwoFactor ? 'mfa_enrol' : 'full';
}

/**
 * Where a new session of each stage goes first. `next` (already safe) rides along through the code step and the
 * first setup, so a link from a notification email still opens after them.
 */
export function pageAfterSignIn(stage: SessionStage, next: string): string {
  const carried = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
  switch (stage) {
    case 'unverified':
      return '/verify-email/pending';
    case 'mfa':
      return `/login/two-factor${carried}`;
    case 'mfa_enrol':
      return `/two-factor/setup${carried}`;
    case 'full':
      return next;
  }
}
