import type { DB } from '../db/database.ts';
import type { Origin } from '../lib/origin.ts';

// The audit log sits below the features: every feature writes it and so does the mail worker (a delivery that
// finally failed), and infrastructure may not import features. It is one insert, so it is a repository, not a service.

/** Security events. Details must never hold a password, token, code or secret. */
export const AUDIT_EVENTS = [
  'login.success',
  'login.failure',
  'logout',
  'user.bootstrap_admin',
  'user.registered',
  'user.email_verified',
  'user.password_reset_requested',
  'user.password_reset',
  'user.password_changed',
  'user.email_change_requested',
  'user.email_changed',
  'session.revoked',
  '2fa.enrolled',
  '2fa.reset',
  '2fa.recovery_code_used',
  '2fa.recovery_codes_regenerated',
  'auth.reauthenticated',
  'ticket.deleted',
  'login.lockout',
  'login.unlocked',
  'user.created',
  'user.updated',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'user.verification_resent',
  'mail.failed',
  'mail.approved',
  'mail.rejected',
  'mail.retried',
  'mail.undeliverable_cleared',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

export interface AuditEntry {
  event: AuditEvent;
  actorUserId?: number | null;
  targetUserId?: number | null;
  details?: Record<string, string | number | boolean | null>;
}

export async function recordAudit(db: DB, now: number, origin: Origin | null, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      created_at: now,
      event: entry.event,
      actor_user_id: entry.actorUserId ?? null,
      target_user_id: entry.targetUserId ?? null,
      ip: origin?.ip ?? null,
      user_agent: origin?.userAgent ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}
