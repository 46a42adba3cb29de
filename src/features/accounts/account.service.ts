import type { ServiceDeps } from '../../app-deps.ts';
import type { Limits } from '../../plugins/rate-limit.ts';
import { hmac } from '../../lib/crypto.ts';
import type { Origin } from '../../lib/origin.ts';
import { emailChangeNoticeMail, passwordChangedMail, welcomeMail, verifyNewEmailMail } from '../../mail/templates.tsx';
import { recordAudit, type AuditEntry, type AuditEvent } from '../../audit/audit.repository.ts';
import type { DB, Session, User } from '../../db/database.ts';
import type { Mailer } from '../../mail/mailer.ts';
import { deleteSessionOfUser, endSessionsOfUser, listActiveSessions } from '../../db/session.repository.ts';
import { endUserSessions, type SessionEndReason } from '../auth/session.service.ts';
import { normaliseEmail, setTicketEmails, setUserTimeZone, updatePasswordHash } from '../users/user.repository.ts';
import { canonicalTimeZone } from '../../lib/time.ts';
import { countRecoveryCodes } from '../two-factor/two-factor.repository.ts';
import { isValidEmail } from './accounts.schemas.ts';
import { describeDevice } from './device.ts';
import { checkPassword } from './password-policy.ts';
import { findPendingEmailChange, issueToken } from './token.repository.ts';

export const WRONG_CURRENT_PASSWORD = 'Your current password is not correct.';
export const PASSWORDS_DIFFER = 'The two passwords are not the same.';
export const EMAIL_EXAMPLE = 'Enter an email address like name@example.com.';

export type AccountDeps = Pick<
  ServiceDeps,
  'db' | 'now' | 'hasher' | 'mail' | 'secretKey' | 'minLength' | 'sessionIdleMs'
> & { limits: Pick<Limits, 'currentPassword'> };

/** One row of "Where you are signed in": what the page shows, never the session id (a token hash). */
export interface SessionRow {
  ref: string;
  device: string;
  ip: string;
  createdAt: number;
  lastSeenAt: number;
  current: boolean;
}

export interface AccountOverview {
  sessions: SessionRow[];
  pendingEmail: string | null;
  recoveryCodesLeft: number;
}

export type AccountErrors = Partial<
  Record<
    | 'current_password'
    | 'password'
    | 'password_confirm'
    | 'passwordForm'
    | 'email'
    | 'email_password'
    | 'emailForm'
    | 'time_zone',
    string
  >
>;

function refOf(secretKey: string, session: Session): string {
  return hmac(secretKey, 'session-ref', session.id).slice(0, 22);
}

/** The current password, counted against the account's limit before it is checked (429 once spent). */
function checkCurrentPassword(deps: AccountDeps, user: User, password: string): Promise<boolean> {
  return deps.limits.currentPassword.guard(user.id, () => deps.hasher.verify(user.password_hash, password));
}

export async function accountOverview(
  deps: AccountDeps,
  user: User,
  currentSessionId: string | null,
): Promise<AccountOverview> {
  const sessions = await listActiveSessions(deps.db, user.id, deps.now, deps.sessionIdleMs);
  return {
    sessions: sessions.map((s) => ({
      ref: refOf(deps.secretKey, s),
      device: describeDevice(s.user_agent),
      ip: s.ip,
      createdAt: s.created_at,
      lastSeenAt: s.last_seen_at,
      current: s.id === currentSessionId,
    })),
    pendingEmail: await findPendingEmailChange(deps.db, user.id, deps.now),
    recoveryCodesLeft: await countRecoveryCodes(deps.db, user.id),
  };
}

/** A new password (the current one first): every other session ends, the owner is told by email. */
export async function changePassword(
  deps: AccountDeps,
  origin: Origin,
  user: User,
  keepSessionId: string | null,
  input: { current_password: string; password: string; password_confirm: string },
): Promise<{ ok: true } | { ok: false; errors: AccountErrors }> {
  const errors: AccountErrors = {};
  if (!(await checkCurrentPassword(deps, user, input.current_password))) {
    errors.current_password = WRONG_CURRENT_PASSWORD;
  }
  const weakness = checkPassword({ minLength: deps.minLength }, input.password, user.email);
  if (weakness) {
    errors.password = weakness;
  } else if (input.password !== input.password_confirm) {
    errors.password_confirm = PASSWORDS_DIFFER;
  }
  if (Object.keys(errors).length > 0) {
    return { ok: false, errors };
  }
  const { now, mail } = deps;
  const passwordHash = await deps.hasher.hash(input.password);
  await deps.db.transaction().execute(async (trx) => {
    await updatePasswordHash(trx, user.id, passwordHash, now);
    await afterPasswordSet(trx, mail, now, origin, user, {
      keep: keepSessionId,
      reason: 'password_changed',
      event: 'user.password_changed',
    });
  });
  mail.deliverSoon();
  return { ok: true };
}

/** Mails a confirmation link to the new address (and a notice to the old one); the change waits for the link. */
export async function requestEmailChange(
  deps: AccountDeps,
  origin: Origin,
  user: User,
  input: { email: string; current_password: string },
): Promise<{ ok: true; email: string } | { ok: false; errors: AccountErrors; email: string }> {
  const email = normaliseEmail(input.email);
  const errors: AccountErrors = {};
  if (!isValidEmail(email)) {
    errors.email = EMAIL_EXAMPLE;
  } else if (email === user.email) {
    errors.email = 'That is already your address.';
  }
  if (!(await checkCurrentPassword(deps, user, input.current_password))) {
    errors.email_password = WRONG_CURRENT_PASSWORD;
  }
  if (Object.keys(errors).length > 0) {
    return { ok: false, errors, email: email.slice(0, 254) };
  }
  const { now, mail } = deps;
  await deps.db.transaction().execute(async (trx) => {
    // Whether the new address is free is checked when it is confirmed, so this answer reveals nothing.
    const token = await issueToken(trx, now, user.id, 'change_email', email, user.email);
    await mail.enqueue(trx, email, verifyNewEmailMail(mail.link('/confirm-email-change', { token })));
    await mail.enqueue(trx, user.email, emailChangeNoticeMail(email));
    await recordAudit(trx, now, origin, {
      event: 'user.email_change_requested',
      actorUserId: user.id,
      targetUserId: user.id,
      details: { to: email },
    });
  });
  mail.deliverSoon();
  return { ok: true, email };
}

/** The session `ref` names, if it is one of the user's active sessions other than the current one. */
export async function findOtherSession(
  deps: AccountDeps,
  user: User,
  ref: string,
  currentSessionId: string | null,
): Promise<Session | null> {
  const sessions = await listActiveSessions(deps.db, user.id, deps.now, deps.sessionIdleMs);
  return sessions.find((s) => refOf(deps.secretKey, s) === ref && s.id !== currentSessionId) ?? null;
}

export async function revokeSession(
  deps: Pick<AccountDeps, 'db' | 'now'>,
  origin: Origin,
  user: User,
  session: Session,
): Promise<void> {
  await deleteSessionOfUser(deps.db, session.id, user.id);
  await recordAudit(deps.db, deps.now, origin, {
    event: 'session.revoked',
    actorUserId: user.id,
    targetUserId: user.id,
    details: { scope: 'one' },
  });
}

export async function revokeOtherSessions(
  deps: Pick<AccountDeps, 'db' | 'now'>,
  origin: Origin,
  user: User,
  currentSessionId: string | null,
): Promise<void> {
  const count = await endSessionsOfUser(deps.db, user.id, currentSessionId);
  await recordAudit(deps.db, deps.now, origin, {
    event: 'session.revoked',
    actorUserId: user.id,
    targetUserId: user.id,
    details: { scope: 'others', count },
  });
}

export async function setTicketEmailPreference(
  deps: Pick<AccountDeps, 'db' | 'now'>,
  user: User,
  on: boolean,
): Promise<void> {
  await setTicketEmails(deps.db, user.id, on, deps.now);
}

export const UNKNOWN_TIME_ZONE = 'Choose a time zone from the list.';

/**
 * Sets the time zone the user's pages and emails show times in: a name this runtime's Intl knows (aliases such as
 * Asia/Calcutta are stored as it spells them). `detected` (the browser's own report, sent once by app.js) only fills
 * an empty setting, never overrides a choice.
 */
export async function setTimeZone(
  deps: Pick<AccountDeps, 'db' | 'now'>,
  user: User,
  name: string,
  detected: boolean,
): Promise<{ ok: true; zone: string } | { ok: false; errors: AccountErrors }> {
  const zone = canonicalTimeZone(name.trim());
  if (!zone) {
    return { ok: false, errors: { time_zone: UNKNOWN_TIME_ZONE } };
  }
  await setUserTimeZone(deps.db, user.id, zone, deps.now, detected);
  return { ok: true, zone };
}

/**
 * What follows every password its owner sets (a change, a reset, an accepted invitation), in the caller's
 * transaction: their other sessions end, the address gets the "password changed" notice with a reset link,
 * and the audit log records the event. The caller calls `mail.deliverSoon()` after commit.
 */
export async function afterPasswordSet(
  trx: DB,
  mail: Mailer,
  now: number,
  origin: Origin,
  user: Pick<User, 'id' | 'email'>,
  set: {
    keep: string | null;
    reason: SessionEndReason;
    event: AuditEvent;
    details?: AuditEntry['details'];
    /** The email the owner gets: "your password was changed" (default), or a welcome for an accepted invitation. */
    notice?: 'password_changed' | 'welcome';
  },
): Promise<void> {
  await endUserSessions(trx, now, origin, {
    userId: user.id,
    actorUserId: user.id,
    keep: set.keep,
    reason: set.reason,
  });
  await mail.enqueue(
    trx,
    user.email,
    set.notice === 'welcome' ? welcomeMail(mail.link('/login')) : passwordChangedMail(mail.link('/forgot-password')),
  );
  await recordAudit(trx, now, origin, {
    event: set.event,
    actorUserId: user.id,
    targetUserId: user.id,
    ...(set.details ? { details: set.details } : {}),
  });
}
