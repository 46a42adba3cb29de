import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DB, User } from '../../db/database.ts';
import { unlockAccountMail } from '../../mail/templates.tsx';
import { issueToken } from '../accounts/tokens.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { clearLoginFailures, MAX_PAUSE_MS, throttleKey } from './login-throttle.ts';
import { originOf } from '../../http/origin.ts';

/**
 * Clears every per-account counter of a user: the sign-in pause of their email and the per-account
 * limiter of two-factor and recovery codes. Used by a completed password reset, the emailed unlock link and
 * an administrator's "Unlock sign-in". (Per-device counters are keyed by device and end on their own;
 * a password change voids the device cookies they belong to.)
 */
export async function clearAccountCounters(app: FastifyInstance, db: DB, user: Pick<User, 'id' | 'email'>): Promise<void> {
  await clearLoginFailures(db, throttleKey(user.email));
  await app.limits.secondFactorAccount.reset(user.id);
}

/**
 * Queues an "unlock my account" email with a single-use link to the owner of an account whose sign-in was
 * just paused. Called only for existing, active accounts and after the same work as for unknown ones, so
 * the response says nothing about whether the address has an account. Returns whether a mail was queued.
 */
export async function sendUnlockMail(app: FastifyInstance, request: FastifyRequest, user: User, now: number): Promise<boolean> {
  if (user.disabled_at !== null || !(await app.limits.unlockMail.admit(user.id)).admitted) {
    return false;
  }
  await app.db.transaction().execute(async (trx) => {
    const token = await issueToken(trx, now, user.id, 'unlock');
    await app.mail.enqueue(trx, user.email, unlockAccountMail(app.mail.link(`/unlock/${token}`), MAX_PAUSE_MS / 60_000));
    await recordAudit(trx, now, originOf(request), { event: 'login.lockout', targetUserId: user.id, details: { scope: 'email', unlockMailSent: true } });
  });
  app.mail.deliverSoon();
  return true;
}
