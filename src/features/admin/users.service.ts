import type { ServiceDeps } from '../../app-deps.ts';
import type { Dialect } from '../../db/connect.ts';
import type { DB, Role, User } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { randomToken } from '../../lib/crypto.ts';
import { notFound } from '../../lib/errors.ts';
import type { Origin } from '../../lib/origin.ts';
import { invitationMail, verifyEmailMail } from '../../mail/templates.tsx';
import { endSessionsOfUser } from '../../db/session.repository.ts';
import { ROLE_LABEL } from '../../views/components/badge.tsx';
import { isValidEmail } from '../accounts/accounts.schemas.ts';
import { issueToken, voidTokensOfUser, wasInvited } from '../accounts/token.repository.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { throttleKey } from '../auth/login-throttle.ts';
import { throttleState } from '../auth/login-throttle.repository.ts';
import type { PasswordHasher } from '../../lib/password-hasher.ts';
import { endUserSessions } from '../auth/session.service.ts';
import { deleteTicketsOfClient, moveTicketsOfClient } from '../tickets/ticket.service.ts';
import {
  activeAdministratorIds,
  countOtherActiveAdministrators,
  deleteUserRow,
  findPlaceholderId,
  findUserIdByEmail,
  insertPlaceholderIfAbsent,
  insertUserIfAbsent,
  listUsers,
  setUserDisabledAt,
  updateUserProfile,
  type UserListRow,
} from '../users/user.repository.ts';
import { userPageActions, type UserPageActions } from '../users/user.policy.ts';
import { findUndeliverable } from '../inbound/mail-admin.repository.ts';
import { countLiveSessions, countTicketsOfClient } from './admin.repository.ts';
import type { UsersQuery } from './admin.schemas.ts';

const DELETED_USER_EMAIL = 'deleted-user@parapet.invalid';
const USERS_PAGE_SIZE = 25;

/** What the administrator's user pages need; the route builds it once from the app's decorators. */
export type UsersDeps = Pick<ServiceDeps, 'db' | 'dialect' | 'clock' | 'hasher' | 'mail'> & {
  /** Clears the account's sign-in pause and code-attempt counters (auth's lockout service). */
  clearSignInCounters(user: Pick<User, 'id' | 'email'>): Promise<void>;
};

/** Who acts and from where, for the audit log. */
export interface Actor {
  user: User;
  origin: Origin;
}

export interface UserInput {
  email: string;
  name: string;
  role: Role;
}

export async function usersPage(
  deps: UsersDeps,
  q: UsersQuery,
): Promise<{ rows: UserListRow[]; page: number; hasNext: boolean }> {
  const page = q.page ?? 1;
  const rows = await listUsers(
    deps.db,
    { ...(q.q ? { q: q.q } : {}), ...(q.role ? { role: q.role } : {}), ...(q.status ? { status: q.status } : {}) },
    { limit: USERS_PAGE_SIZE + 1, offset: (page - 1) * USERS_PAGE_SIZE },
  );
  return { rows: rows.slice(0, USERS_PAGE_SIZE), page, hasNext: rows.length > USERS_PAGE_SIZE };
}

export interface UserPageData {
  sessions: number;
  ticketCount: number;
  lastAdmin: boolean;
  signIn: { failures: number; pausedMs: number } | null;
  /** A bounce reported the user's address as undeliverable (cleared on the Mail page). */
  undeliverable: { since: number; reason: string } | null;
  /** Invited and never signed in: "resend" sends a new invitation, not a verification link. */
  awaitsInvitation: boolean;
  actions: UserPageActions;
}

export async function userPageData(deps: UsersDeps, user: User): Promise<UserPageData> {
  const now = deps.clock.now();
  const [sessions, ticketCount, lastAdmin, signIn, bounced, invited] = await Promise.all([
    countLiveSessions(deps.db, user.id, now),
    countTicketsOfClient(deps.db, user.id),
    isLastActiveAdministrator(deps.db, user),
    throttleState(deps.db, throttleKey(user.email), now),
    findUndeliverable(deps.db, user.email),
    awaitsInvitation(deps.db, user),
  ]);
  const undeliverable = bounced ? { since: bounced.first_at, reason: bounced.reason.replace(/[.\s]+$/, '') } : null;
  return {
    sessions,
    ticketCount,
    lastAdmin,
    signIn,
    undeliverable,
    awaitsInvitation: invited,
    actions: userPageActions(user, signIn),
  };
}

/** The delete page: refused for the last active administrator, else how many tickets the choice is about. */
export async function deletePageData(
  deps: UsersDeps,
  user: User,
): Promise<{ ok: true; ticketCount: number } | { ok: false }> {
  if (await isLastActiveAdministrator(deps.db, user)) {
    return { ok: false };
  }
  return { ok: true, ticketCount: await countTicketsOfClient(deps.db, user.id) };
}

/** The last active administrator may not be demoted, disabled or deleted. */
function isLastActiveAdministrator(db: DB, user: User): Promise<boolean> {
  if (user.role !== 'administrator' || user.disabled_at !== null) {
    return Promise.resolve(false);
  }
  return countOtherActiveAdministrators(db, user.id).then((n) => n === 0);
}

export type AdministratorCheck = 'ok' | 'last' | 'actor_not_admin';

/**
 * Run inside the transaction that demotes, disables or deletes `targetId`, before that write: 'last' when it
 * would leave no active administrator, 'actor_not_admin' when the acting administrator was demoted or
 * disabled meanwhile. On PostgreSQL the active administrators' rows are locked (FOR UPDATE, in id order), so
 * administrators acting on each other at the same moment take turns and each sees the others' result; on
 * SQLite the transaction already holds the database's write lock (`begin immediate`, src/db/sqlite-statements.ts).
 */
async function checkAdministratorChange(
  trx: DB,
  dialect: Dialect,
  actorId: number,
  targetId: number,
): Promise<AdministratorCheck> {
  const ids = await activeAdministratorIds(trx, dialect === 'postgres');
  if (!ids.includes(actorId)) {
    return 'actor_not_admin';
  }
  return ids.includes(targetId) && ids.length === 1 ? 'last' : 'ok';
}

/** The acting administrator lost the role meanwhile: the page is no longer theirs to see. */
function refuseNonAdministrator<T>(check: T | 'actor_not_admin'): T {
  if (check === 'actor_not_admin') {
    throw notFound();
  }
  return check;
}

/** A password nobody knows: invited users choose theirs through the emailed link. */
async function unusablePasswordHash(hasher: PasswordHasher): Promise<string> {
  return hasher.hash(randomToken(32));
}

export type CreateUserResult = { ok: true; user: User } | { ok: false; error: 'email_invalid' | 'email_taken' };

/** Creates an account with an unusable password and mails its owner an invitation to choose one. */
export async function createUser(deps: UsersDeps, actor: Actor, input: UserInput): Promise<CreateUserResult> {
  if (!isValidEmail(input.email)) {
    return { ok: false, error: 'email_invalid' };
  }
  const now = deps.clock.now();
  const passwordHash = await unusablePasswordHash(deps.hasher);
  const created = await deps.db.transaction().execute(async (trx) => {
    const user = await insertUserIfAbsent(trx, {
      email: input.email,
      name: input.name,
      password_hash: passwordHash,
      role: input.role,
      email_verified_at: null,
      disabled_at: null,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    });
    if (!user) {
      return null;
    }
    const token = await issueToken(trx, now, user.id, 'invite', null, user.email);
    await deps.mail.enqueue(
      trx,
      user.email,
      invitationMail(deps.mail.link('/invitation', { token }), ROLE_LABEL[user.role]),
    );
    await recordAudit(trx, now, actor.origin, {
      event: 'user.created',
      actorUserId: actor.user.id,
      targetUserId: user.id,
      details: { email: user.email, role: user.role },
    });
    return user;
  });
  if (!created) {
    return { ok: false, error: 'email_taken' };
  }
  deps.mail.deliverSoon();
  return { ok: true, user: created };
}

export type UpdateUserResult =
  /** `sessionsEnded`: how many sessions of the user the change ended (a role or address change ends them all). */
  | { ok: true; roleChanged: boolean; emailChanged: boolean; sessionsEnded: number }
  | { ok: false; error: 'email_invalid' | 'email_taken' | 'last' };

/**
 * An administrator's edit. A new address is unverified and mailed a link; a change of role or address ends every
 * session of the user (the next sign-in carries it).
 */
export async function updateUser(
  deps: UsersDeps,
  actor: Actor,
  user: User,
  input: UserInput,
): Promise<UpdateUserResult> {
  const emailChanged = input.email !== user.email;
  const roleChanged = input.role !== user.role;
  // Only a new address is checked: an account whose address predates the check (the first administrator's
  // `admin@localhost` of older versions) keeps it while its name or role is edited.
  if (emailChanged && !isValidEmail(input.email)) {
    return { ok: false, error: 'email_invalid' };
  }
  if (emailChanged && (await findUserIdByEmail(deps.db, input.email)) !== undefined) {
    return { ok: false, error: 'email_taken' };
  }
  const now = deps.clock.now();
  let sessionsEnded = 0;
  const check = await deps.db
    .transaction()
    .execute(async (trx) => {
      const checked =
        input.role === 'administrator'
          ? 'ok'
          : await checkAdministratorChange(trx, deps.dialect, actor.user.id, user.id);
      if (checked !== 'ok') {
        return checked;
      }
      if (emailChanged) {
        // Links mailed to the old address (an invitation to a mistyped one) die with it. Tokens are voided
        // before the user row is written: a concurrent token use locks them in that order too (no deadlock).
        await voidTokensOfUser(trx, user.id, now);
      }
      await updateUserProfile(trx, user.id, { ...input, emailChanged }, now);
      if (roleChanged) {
        await recordAudit(trx, now, actor.origin, {
          event: 'user.role_changed',
          actorUserId: actor.user.id,
          targetUserId: user.id,
          details: { from: user.role, to: input.role },
        });
      }
      if (emailChanged) {
        const token = await issueToken(trx, now, user.id, 'verify_email', null, input.email);
        await deps.mail.enqueue(trx, input.email, verifyEmailMail(deps.mail.link('/verify-email', { token })));
      }
      if (roleChanged || emailChanged) {
        sessionsEnded = await endUserSessions(trx, now, actor.origin, {
          userId: user.id,
          actorUserId: actor.user.id,
          keep: null,
          reason: roleChanged ? 'role_changed' : 'email_changed',
        });
      }
      await recordAudit(trx, now, actor.origin, {
        event: 'user.updated',
        actorUserId: actor.user.id,
        targetUserId: user.id,
        details: { emailFrom: emailChanged ? user.email : null, emailTo: emailChanged ? input.email : null },
      });
      return 'ok' as const;
    })
    .catch((error: unknown) => {
      // Another account took the address after the check above (a parallel edit on PostgreSQL): the constraint decides.
      if (isUniqueViolation(error)) {
        return 'taken' as const;
      }
      throw error;
    });
  const result = refuseNonAdministrator(check);
  if (result === 'taken') {
    return { ok: false, error: 'email_taken' };
  }
  if (result === 'last') {
    return { ok: false, error: 'last' };
  }
  deps.mail.deliverSoon();
  return { ok: true, roleChanged, emailChanged, sessionsEnded };
}

/**
 * Disables the account and ends its sessions: how many it ended, or 'last' when it is the last active administrator.
 */
export async function disableUser(
  deps: UsersDeps,
  actor: Actor,
  user: User,
): Promise<{ sessionsEnded: number } | 'last'> {
  const now = deps.clock.now();
  const check = await deps.db.transaction().execute(async (trx) => {
    const checked = await checkAdministratorChange(trx, deps.dialect, actor.user.id, user.id);
    if (checked !== 'ok') {
      return checked;
    }
    await voidTokensOfUser(trx, user.id, now);
    await setUserDisabledAt(trx, user.id, now, now);
    const sessionsEnded = await endUserSessions(trx, now, actor.origin, {
      userId: user.id,
      actorUserId: actor.user.id,
      keep: null,
      reason: 'disabled',
    });
    await recordAudit(trx, now, actor.origin, {
      event: 'user.disabled',
      actorUserId: actor.user.id,
      targetUserId: user.id,
    });
    return { sessionsEnded };
  });
  return refuseNonAdministrator(check);
}

export async function enableUser(deps: UsersDeps, actor: Actor, user: User): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await setUserDisabledAt(trx, user.id, null, now);
    await recordAudit(trx, now, actor.origin, {
      event: 'user.enabled',
      actorUserId: actor.user.id,
      targetUserId: user.id,
    });
  });
}

/** Ends every session of the user; returns how many there were. */
export async function endAllSessions(deps: UsersDeps, actor: Actor, user: User): Promise<number> {
  const count = await endSessionsOfUser(deps.db, user.id);
  await recordAudit(deps.db, deps.clock.now(), actor.origin, {
    event: 'session.revoked',
    actorUserId: actor.user.id,
    targetUserId: user.id,
    details: { scope: 'all', count },
  });
  return count;
}

/**
 * An invited person who never chose a password (unverified, never signed in, sent an invitation) cannot use a
 * verification link: they have no password to sign in with. They get a new invitation instead.
 */
async function awaitsInvitation(db: DB, user: User): Promise<boolean> {
  return user.email_verified_at === null && user.last_login_at === null && (await wasInvited(db, user.id));
}

/**
 * Mails a new verification link, or, to someone who never accepted their invitation, a new invitation (the earlier
 * link stops working); 'already_verified' when the address was verified meanwhile.
 */
export async function resendVerification(
  deps: UsersDeps,
  actor: Actor,
  user: User,
): Promise<'verification' | 'invitation' | 'already_verified'> {
  if (user.email_verified_at) {
    return 'already_verified';
  }
  const now = deps.clock.now();
  const invite = await awaitsInvitation(deps.db, user);
  await deps.db.transaction().execute(async (trx) => {
    if (invite) {
      const token = await issueToken(trx, now, user.id, 'invite', null, user.email);
      await deps.mail.enqueue(
        trx,
        user.email,
        invitationMail(deps.mail.link('/invitation', { token }), ROLE_LABEL[user.role]),
      );
    } else {
      const token = await issueToken(trx, now, user.id, 'verify_email', null, user.email);
      await deps.mail.enqueue(trx, user.email, verifyEmailMail(deps.mail.link('/verify-email', { token })));
    }
    await recordAudit(trx, now, actor.origin, {
      event: 'user.verification_resent',
      actorUserId: actor.user.id,
      targetUserId: user.id,
      ...(invite ? { details: { mail: 'invitation' } } : {}),
    });
  });
  deps.mail.deliverSoon();
  return invite ? 'invitation' : 'verification';
}

export async function unlockSignIn(deps: UsersDeps, actor: Actor, user: User): Promise<void> {
  await deps.clearSignInCounters(user);
  await recordAudit(deps.db, deps.clock.now(), actor.origin, {
    event: 'login.unlocked',
    actorUserId: actor.user.id,
    targetUserId: user.id,
    details: { scope: 'account', via: 'administrator' },
  });
}

/**
 * The anonymous owner of tickets whose client was deleted but whose tickets were kept: the one row flagged
 * `is_placeholder` (a partial unique index allows one). Its address is in the reserved `.invalid` domain, which
 * registration, invitations and email changes refuse; should an older account hold that address, another one is used.
 */
async function deletedUserPlaceholder(db: DB, hasher: PasswordHasher, now: number): Promise<number> {
  const existing = await findPlaceholderId(db);
  if (existing !== undefined) {
    return existing;
  }
  const passwordHash = await unusablePasswordHash(hasher);
  for (const email of [DELETED_USER_EMAIL, `deleted-user-${randomToken(6).toLowerCase()}@parapet.invalid`]) {
    // Another deletion may create the placeholder first (the flag's unique index), or the address may be taken.
    await insertPlaceholderIfAbsent(db, email, passwordHash, now);
    const placeholder = await findPlaceholderId(db);
    if (placeholder !== undefined) {
      return placeholder;
    }
  }
  throw new Error('could not create the deleted-user placeholder');
}

/** Deletes a user; their tickets go with them or are kept under the anonymous placeholder. */
export async function deleteUser(
  trx: DB,
  dialect: Dialect,
  user: Pick<User, 'id'>,
  keepTickets: boolean,
  placeholderId: number | null,
): Promise<number> {
  const affected =
    keepTickets && placeholderId !== null
      ? await moveTicketsOfClient(trx, dialect, user.id, placeholderId)
      : await deleteTicketsOfClient(trx, dialect, user.id);
  await deleteUserRow(trx, user.id);
  return affected;
}

/** Deletes the account (audited); 'last' when it is the last active administrator. Returns how many tickets were kept or deleted. */
export async function deleteUserAccount(
  deps: UsersDeps,
  actor: Actor,
  user: User,
  keepTickets: boolean,
): Promise<{ ok: true; ticketCount: number } | { ok: false; error: 'last' }> {
  const now = deps.clock.now();
  const placeholder = keepTickets ? await deletedUserPlaceholder(deps.db, deps.hasher, now) : null;
  const affected = await deps.db.transaction().execute(async (trx) => {
    const checked = await checkAdministratorChange(trx, deps.dialect, actor.user.id, user.id);
    if (checked !== 'ok') {
      return checked;
    }
    const count = await deleteUser(trx, deps.dialect, user, keepTickets, placeholder);
    await recordAudit(trx, now, actor.origin, {
      event: 'user.deleted',
      actorUserId: actor.user.id === user.id ? null : actor.user.id,
      details: { email: user.email, role: user.role, tickets: keepTickets ? 'kept' : 'deleted', ticketCount: count },
    });
    return count;
  });
  const result = refuseNonAdministrator(affected);
  return result === 'last' ? { ok: false, error: 'last' } : { ok: true, ticketCount: result };
}
