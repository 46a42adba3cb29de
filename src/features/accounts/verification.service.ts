import type { ServiceDeps } from '../../app-deps.ts';
import type { Limits } from '../../plugins/rate-limit.ts';
import type { User } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Origin } from '../../lib/origin.ts';
import { verifyEmailMail } from '../../mail/templates.tsx';
import { recordAudit } from '../../audit/audit.repository.ts';
import { endUserSessions } from '../auth/session.service.ts';
import { changeEmail, isEmailTakenByOther, markEmailVerified } from '../users/user.repository.ts';
import { consumeToken, issueToken, peekToken, voidTokensOfUser } from './token.repository.ts';

export type VerificationDeps = Pick<ServiceDeps, 'db' | 'now' | 'mail'> & {
  limits: Pick<Limits, 'verificationResend'>;
};

/** A new verification link for a half-signed-in user; false when they asked too often (counted before queuing). */
export async function resendVerification(deps: VerificationDeps, user: User): Promise<boolean> {
  // Counted in the limit's store before the email is queued: counting sent tokens first would let parallel requests all pass.
  if (!(await deps.limits.verificationResend.admit(user.id)).admitted) {
    return false;
  }
  const { now, mail } = deps;
  await deps.db.transaction().execute(async (trx) => {
    const token = await issueToken(trx, now, user.id, 'verify_email', null, user.email);
    await mail.enqueue(trx, user.email, verifyEmailMail(mail.link('/verify-email', { token })));
  });
  mail.deliverSoon();
  return true;
}

/** Whether an emailed verification link is valid right now (for showing its confirmation button). */
export async function isVerificationLinkValid(
  deps: Pick<VerificationDeps, 'db' | 'now'>,
  token: string,
): Promise<boolean> {
  return (await peekToken(deps.db, token, 'verify_email', deps.now)) !== undefined;
}

/** The address a change-of-email link would switch to, while the link is valid. */
export async function pendingEmailChangeOf(
  deps: Pick<VerificationDeps, 'db' | 'now'>,
  token: string,
): Promise<string | null> {
  return (await peekToken(deps.db, token, 'change_email', deps.now))?.new_email ?? null;
}

/** Uses a verification link: the account's address is proven. Returns the account's id, or null for an invalid link. */
export async function verifyEmail(
  deps: Pick<VerificationDeps, 'db' | 'now'>,
  origin: Origin,
  token: string,
): Promise<number | null> {
  const { now } = deps;
  return deps.db.transaction().execute(async (trx) => {
    const used = await consumeToken(trx, token, 'verify_email', now);
    if (!used) {
      return null;
    }
    await markEmailVerified(trx, used.user_id, now);
    await recordAudit(trx, now, origin, {
      event: 'user.email_verified',
      actorUserId: used.user_id,
      targetUserId: used.user_id,
    });
    return used.user_id;
  });
}

/** `rotate`: the change was made from a session of the account, which stays and gets a new token. */
export type EmailChangeOutcome = 'invalid' | 'taken' | 'changed' | 'rotate';

/**
 * Uses a change-of-email link: the account takes the new address unless another account has it by now. Links
 * mailed to the old address die with it, and so do the account's other sessions (a credential changed).
 * `session` is the browser's session, if any, which is kept when it belongs to the account.
 */
export async function confirmEmailChange(
  deps: Pick<VerificationDeps, 'db' | 'now'>,
  origin: Origin,
  token: string,
  session: { id: string; user_id: number } | null,
): Promise<EmailChangeOutcome> {
  const { now } = deps;
  return deps.db
    .transaction()
    .execute(async (trx): Promise<EmailChangeOutcome> => {
      const used = await consumeToken(trx, token, 'change_email', now);
      if (!used?.new_email) {
        return 'invalid';
      }
      if (await isEmailTakenByOther(trx, used.new_email, used.user_id)) {
        return 'taken';
      }
      // Voided before the user row is locked: the order a concurrent token use takes too.
      await voidTokensOfUser(trx, used.user_id, now);
      await changeEmail(trx, used.user_id, used.new_email, now);
      const keep = session?.user_id === used.user_id ? session.id : null;
      await endUserSessions(trx, now, origin, {
        userId: used.user_id,
        actorUserId: used.user_id,
        keep,
        reason: 'email_changed',
      });
      await recordAudit(trx, now, origin, {
        event: 'user.email_changed',
        actorUserId: used.user_id,
        targetUserId: used.user_id,
        details: { from: used.account_email, to: used.new_email },
      });
      return keep ? 'rotate' : 'changed';
    })
    .catch((error: unknown) => {
      // Another account took the address between the check above and the write (PostgreSQL): the constraint decides.
      if (isUniqueViolation(error)) {
        return 'taken' as const;
      }
      throw error;
    });
}
