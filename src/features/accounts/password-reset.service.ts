import { afterPasswordSet } from './account.service.ts';
import type { ServiceDeps } from '../../app-deps.ts';
import type { Limits } from '../../plugins/rate-limit.ts';
import type { User } from '../../db/database.ts';
import { sha256Hex } from '../../lib/crypto.ts';
import type { Origin } from '../../lib/origin.ts';
import { passwordResetMail } from '../../mail/templates.tsx';
import { recordAudit } from '../../audit/audit.repository.ts';
import { clearAccountCounters } from '../auth/lockout.service.ts';
import { findUserByEmail, findUserById, normaliseEmail, resetPasswordHash } from '../users/user.repository.ts';
import { isValidEmail } from './accounts.schemas.ts';
import { PASSWORDS_DIFFER } from './account.service.ts';
import { checkPassword } from './password-policy.ts';
import { consumeToken, issueToken, peekToken } from './token.repository.ts';

export type PasswordResetDeps = Pick<ServiceDeps, 'db' | 'now' | 'hasher' | 'mail' | 'minLength'> & {
  limits: Pick<Limits, 'resetIp' | 'resetAddress' | 'currentPassword' | 'secondFactorAccount'>;
};

/**
 * Mails a reset link when the address has an active account. The answer is the same either way; over the
 * per-address limit nothing is sent (the mailbox owner is not flooded), over the per-IP limit it is a 429.
 * Returns false only when the address is not an address at all.
 */
export async function requestPasswordReset(
  deps: PasswordResetDeps,
  origin: Origin,
  input: { email: string },
): Promise<boolean> {
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) {
    return false;
  }
  await deps.limits.resetIp.consume(origin.ip);
  if (!(await deps.limits.resetAddress.admit(sha256Hex(email))).admitted) {
    return true;
  }
  const user = await findUserByEmail(deps.db, email);
  if (user && user.disabled_at === null) {
    const { now, mail } = deps;
    await deps.db.transaction().execute(async (trx) => {
      const token = await issueToken(trx, now, user.id, 'reset_password', null, user.email);
      await mail.enqueue(trx, user.email, passwordResetMail(mail.link('/reset-password', { token })));
      await recordAudit(trx, now, origin, { event: 'user.password_reset_requested', targetUserId: user.id });
    });
    mail.deliverSoon();
  }
  return true;
}

/** The account a reset link is for, while the link is valid (for showing the form). */
export async function isResetLinkValid(deps: Pick<PasswordResetDeps, 'db' | 'now'>, token: string): Promise<boolean> {
  return (await peekToken(deps.db, token, 'reset_password', deps.now)) !== undefined;
}

export type ResetResult =
  | { ok: true; user: User }
  | { ok: false; invalidLink: true }
  | { ok: false; invalidLink: false; errors: { password?: string; password_confirm?: string } };

/**
 * Sets the new password through a valid link: the link is used up, every session of the account ends, the
 * address counts as verified and every per-account counter starts again from zero.
 */
export async function resetPassword(
  deps: PasswordResetDeps,
  origin: Origin,
  input: { token: string; password: string; password_confirm: string },
): Promise<ResetResult> {
  const { now, mail } = deps;
  const pending = await peekToken(deps.db, input.token, 'reset_password', now);
  const user = pending && (await findUserById(deps.db, pending.user_id));
  if (!user) {
    return { ok: false, invalidLink: true };
  }
  const weakness = checkPassword({ minLength: deps.minLength }, input.password, user.email);
  if (weakness) {
    return { ok: false, invalidLink: false, errors: { password: weakness } };
  }
  if (input.password !== input.password_confirm) {
    return { ok: false, invalidLink: false, errors: { password_confirm: PASSWORDS_DIFFER } };
  }
  const passwordHash = await deps.hasher.hash(input.password);
  const changed = await deps.db.transaction().execute(async (trx) => {
    if (!(await consumeToken(trx, input.token, 'reset_password', now))) {
      return false;
    }
    // Following the emailed link proves the address, so an unverified account becomes verified.
    await resetPasswordHash(trx, user.id, passwordHash, now);
    await afterPasswordSet(trx, mail, now, origin, user, {
      keep: null,
      reason: 'password_reset',
      event: 'user.password_reset',
    });
    return true;
  });
  if (!changed) {
    return { ok: false, invalidLink: true };
  }
  // Failed current-password checks counted against the old password mean nothing now.
  await deps.limits.currentPassword.reset(user.id);
  mail.deliverSoon();
  // The owner proved control of the mailbox: every per-account counter starts again from zero.
  await clearAccountCounters(deps, user);
  return { ok: true, user };
}
