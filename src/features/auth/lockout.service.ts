import type { DB, User } from '../../db/database.ts';
import type { Origin } from '../../lib/origin.ts';
import { unlockAccountMail } from '../../mail/templates.tsx';
import type { Limiter } from '../../plugins/rate-limit.ts';
import { consumeToken, issueToken, peekToken } from '../accounts/token.repository.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import type { Mailer } from '../../mail/mailer.ts';
import { MAX_PAUSE_MS, throttleKey } from './login-throttle.ts';
import { clearLoginFailures } from './login-throttle.repository.ts';
import { findUserById } from '../users/user.repository.ts';

/**
 * Clears every per-account counter of a user: the sign-in pause of their email and the per-account
 * limiter of two-factor and recovery codes. Used by a completed password reset, the emailed unlock link and
 * an administrator's "Unlock sign-in". (Per-device counters are keyed by device and end on their own;
 * a password change voids the device cookies they belong to.) `app` fits `deps`.
 */
export async function clearAccountCounters(
  deps: { db: DB; limits: { secondFactorAccount: Limiter } },
  user: Pick<User, 'id' | 'email'>,
): Promise<void> {
  await clearLoginFailures(deps.db, throttleKey(user.email));
  await deps.limits.secondFactorAccount.reset(user.id);
}

/**
 * Queues an "unlock my account" email with a single-use link to the owner of an account whose sign-in was
 * just paused. Called only for existing, active accounts and after the same work as for unknown ones, so
 * the response says nothing about whether the address has an account. Returns whether a mail was queued.
 */
export async function sendUnlockMail(
  deps: { db: DB; now: number; mail: Mailer; limits: { unlockMail: Limiter } },
  origin: Origin,
  user: User,
): Promise<boolean> {
  if (user.disabled_at !== null || !(await deps.limits.unlockMail.admit(user.id)).admitted) {
    return false;
  }
  const { now, mail } = deps;
  await deps.db.transaction().execute(async (trx) => {
    const token = await issueToken(trx, now, user.id, 'unlock');
    await mail.enqueue(trx, user.email, unlockAccountMail(mail.link(`/unlock/${token}`), MAX_PAUSE_MS / 60_000));
    await recordAudit(trx, now, origin, {
      event: 'login.lockout',
      targetUserId: user.id,
      details: { scope: 'email', unlockMailSent: true },
    });
  });
  mail.deliverSoon();
  return true;
}

/** Whether an emailed unlock link is valid right now (for showing its button). */
export async function isUnlockLinkValid(deps: { db: DB; now: number }, token: string): Promise<boolean> {
  return (await peekToken(deps.db, token, 'unlock', deps.now)) !== undefined;
}

/** The emailed unlock link, used: lifts the account's pause. False when the link is invalid, used or expired. */
export async function unlockAccount(
  deps: { db: DB; now: number; limits: { secondFactorAccount: Limiter } },
  origin: Origin,
  token: string,
): Promise<boolean> {
  const used = await consumeToken(deps.db, token, 'unlock', deps.now);
  const user = used && (await findUserById(deps.db, used.user_id));
  if (!user || user.disabled_at !== null) {
    return false;
  }
  await clearAccountCounters(deps, user);
  await recordAudit(deps.db, deps.now, origin, {
    event: 'login.unlocked',
    actorUserId: user.id,
    targetUserId: user.id,
    details: { scope: 'account', via: 'email_link' },
  });
  return true;
}
