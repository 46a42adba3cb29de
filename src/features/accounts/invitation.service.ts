import { afterPasswordSet } from './account.service.ts';
import type { ServiceDeps } from '../../app-deps.ts';
import type { Role } from '../../db/database.ts';
import type { Origin } from '../../lib/origin.ts';
import { findUserById, setPasswordAndVerify } from '../users/user.repository.ts';
import { checkPassword } from './password-policy.ts';
import { consumeToken, peekToken } from './token.repository.ts';

export type InvitationDeps = Pick<ServiceDeps, 'db' | 'clock' | 'hasher' | 'mail' | 'minLength'>;

/** Whom an invitation is for (the page names the account and role), or null when the link cannot be used any more (looking does not consume it). */
export async function invitationFor(
  deps: InvitationDeps,
  token: string,
): Promise<{ email: string; role: Role } | null> {
  const pending = await peekToken(deps.db, token, 'invite', deps.clock.now());
  const user = pending && (await findUserById(deps.db, pending.user_id));
  return user ? { email: user.email, role: user.role } : null;
}

export type AcceptInvitationResult =
  { ok: true } | { ok: false; error: 'invalid' } | { ok: false; error: 'weak'; message: string };

/**
 * The invited person chooses a password: the single-use link is consumed, the password set and the address
 * proven in one transaction; any session of the account ends.
 */
export async function acceptInvitation(
  deps: InvitationDeps,
  origin: Origin,
  input: { token: string; password: string; passwordConfirm: string },
): Promise<AcceptInvitationResult> {
  const now = deps.clock.now();
  const pending = await peekToken(deps.db, input.token, 'invite', now);
  const user = pending && (await findUserById(deps.db, pending.user_id));
  if (!user) {
    return { ok: false, error: 'invalid' };
  }
  const weakness =
    checkPassword({ minLength: deps.minLength }, input.password, user.email) ??
    (input.password !== input.passwordConfirm ? 'The two passwords are not the same.' : null);
  if (weakness) {
    return { ok: false, error: 'weak', message: weakness };
  }
  const passwordHash = await deps.hasher.hash(input.password);
  const accepted = await deps.db.transaction().execute(async (trx) => {
    if (!(await consumeToken(trx, input.token, 'invite', now))) {
      return false;
    }
    await setPasswordAndVerify(trx, user.id, passwordHash, now);
    await afterPasswordSet(trx, deps.mail, now, origin, user, {
      keep: null,
      reason: 'password_set',
      event: 'user.password_reset',
      details: { via: 'invitation' },
      notice: 'welcome',
    });
    return true;
  });
  if (!accepted) {
    return { ok: false, error: 'invalid' };
  }
  deps.mail.deliverSoon();
  return { ok: true };
}
