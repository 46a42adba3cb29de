import type { DB } from '../../db/database.ts';
import { endSessionsOfUser } from '../../db/session.repository.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import type { Origin } from '../../lib/origin.ts';

export type SessionEndReason =
  | 'password_changed'
  | 'password_reset'
  | 'password_set'
  | '2fa_enrolled'
  | '2fa_reset'
  | 'recovery_codes_regenerated'
  | 'email_changed'
  | 'role_changed'
  | 'disabled';

/**
 * The one way a credential change or an administrator's action ends a user's sessions, inside the
 * transaction that makes the change. `keep` is the session making a credential change (it gets a new
 * token afterwards with reply.rotateSession()); null ends every session of the user.
 */
export async function endUserSessions(
  trx: DB,
  now: number,
  origin: Origin | null,
  opts: { userId: number; actorUserId: number | null; keep: string | null; reason: SessionEndReason },
): Promise<number> {
  const count = await endSessionsOfUser(trx, opts.userId, opts.keep);
  if (count > 0) {
    await recordAudit(trx, now, origin, {
      event: 'session.revoked',
      actorUserId: opts.actorUserId,
      targetUserId: opts.userId,
      details: { scope: opts.keep === null ? 'all' : 'others', count, reason: opts.reason },
    });
  }
  return count;
}
