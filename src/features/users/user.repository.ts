import { toUser, type DB, type NewUser, type Role, type User } from '../../db/database.ts';

/**
 * The users table. Every query on `users` lives here and returns the domain `User` (booleans for the integer
 * flags, see `toUser`). The admin functions come first; other features add theirs at the end of the file.
 */

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserByEmail(db: DB, email: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
  return row && toUser(row);
}

export async function findUserById(db: DB, id: number): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

/** The id of the account with this (normalised) address, if any. */
export async function findUserIdByEmail(db: DB, email: string): Promise<number | undefined> {
  const row = await db.selectFrom('users').select('id').where('email', '=', normaliseEmail(email)).executeTakeFirst();
  return row?.id;
}

/** Inserts unless the email is taken; returns the new user, or undefined when another process won the race. */
export async function insertUserIfAbsent(db: DB, user: NewUser): Promise<User | undefined> {
  const row = await db
    .insertInto('users')
    .values({ ...user, email: normaliseEmail(user.email) })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toUser(row);
}

export type UserStatusFilter = 'active' | 'disabled' | 'unverified';

export interface UserListFilter {
  /** Part of the email or the name, matched literally and case-insensitively. */
  q?: string;
  role?: Role;
  status?: UserStatusFilter;
}

export type UserListRow = Pick<
  User,
  | 'id'
  | 'email'
  | 'name'
  | 'role'
  | 'email_verified_at'
  | 'totp_enabled_at'
  | 'disabled_at'
  | 'created_at'
  | 'last_login_at'
>;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** One page of accounts, newest first; the deleted-user placeholder is not an account anyone manages and never listed. */
export async function listUsers(
  db: DB,
  filter: UserListFilter,
  page: { limit: number; offset: number },
): Promise<UserListRow[]> {
  let query = db
    .selectFrom('users')
    .select([
      'id',
      'email',
      'name',
      'role',
      'email_verified_at',
      'totp_enabled_at',
      'disabled_at',
      'created_at',
      'last_login_at',
    ])
    .where('is_placeholder', '=', 0);
  const q = filter.q?.trim();
  if (q) {
    const like = `%${escapeLike(q.toLowerCase())}%`;
    query = query.where((eb) => eb.or([eb('email', 'like', like), eb(eb.fn('lower', ['name']), 'like', like)]));
  }
  if (filter.role) {
    query = query.where('role', '=', filter.role);
  }
  if (filter.status === 'active') {
    query = query.where('disabled_at', 'is', null);
  } else if (filter.status === 'disabled') {
    query = query.where('disabled_at', 'is not', null);
  } else if (filter.status === 'unverified') {
    query = query.where('email_verified_at', 'is', null);
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
}

/** An administrator's edit: a new address is unverified until its owner confirms it. */
export async function updateUserProfile(
  db: DB,
  id: number,
  changes: { email: string; name: string; role: Role; emailChanged: boolean },
  now: number,
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      email: changes.email,
      name: changes.name,
      role: changes.role,
      updated_at: now,
      ...(changes.emailChanged ? { email_verified_at: null } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** Disables (a time) or enables (null) an account. */
export async function setUserDisabledAt(db: DB, id: number, disabledAt: number | null, now: number): Promise<void> {
  await db.updateTable('users').set({ disabled_at: disabledAt, updated_at: now }).where('id', '=', id).execute();
}

/** A password chosen through an emailed link, which also proves the address. */
export async function setPasswordAndVerify(db: DB, id: number, passwordHash: string, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, email_verified_at: now, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** Active administrators other than `exceptId`. */
export async function countOtherActiveAdministrators(db: DB, exceptId: number): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'administrator')
    .where('disabled_at', 'is', null)
    .where('id', '!=', exceptId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The ids of the active administrators, in id order; `lock` takes their rows FOR UPDATE (PostgreSQL only). */
export async function activeAdministratorIds(db: DB, lock: boolean): Promise<number[]> {
  let query = db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'administrator')
    .where('disabled_at', 'is', null)
    .orderBy('id');
  if (lock) {
    query = query.forUpdate();
  }
  return (await query.execute()).map((row) => row.id);
}

/** The id of the deleted-user placeholder (the one row flagged `is_placeholder`), if it exists. */
export async function findPlaceholderId(db: DB): Promise<number | undefined> {
  const row = await db.selectFrom('users').select('id').where('is_placeholder', '=', 1).executeTakeFirst();
  return row?.id;
}

/** Inserts the placeholder under `email`; does nothing when one exists already (a partial unique index) or the address is taken. */
export async function insertPlaceholderIfAbsent(
  db: DB,
  email: string,
  passwordHash: string,
  now: number,
): Promise<void> {
  await db
    .insertInto('users')
    .values({
      email,
      name: 'Deleted user',
      password_hash: passwordHash,
      role: 'client',
      email_verified_at: null,
      disabled_at: now,
      created_at: now,
      updated_at: now,
      last_login_at: null,
      notify_tickets: 0,
      is_placeholder: 1,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function deleteUserRow(db: DB, id: number): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute();
}

// — used by auth, accounts and two-factor —

export async function hasAdministrator(db: DB): Promise<boolean> {
  return (
    (await db.selectFrom('users').select('id').where('role', '=', 'administrator').limit(1).executeTakeFirst()) !==
    undefined
  );
}

/** Another account (not `userId`) has this address. */
export async function isEmailTakenByOther(db: DB, email: string, userId: number): Promise<boolean> {
  return (
    (await db
      .selectFrom('users')
      .select('id')
      .where('email', '=', email)
      .where('id', '!=', userId)
      .executeTakeFirst()) !== undefined
  );
}

export async function updatePasswordHash(db: DB, userId: number, passwordHash: string, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: now })
    .where('id', '=', userId)
    .execute();
}

/** A password set through an emailed link: following the link proves the address, so it becomes verified too. */
export async function resetPasswordHash(db: DB, userId: number, passwordHash: string, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({
      password_hash: passwordHash,
      updated_at: now,
      email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(now)),
    }))
    .where('id', '=', userId)
    .execute();
}

export async function markEmailVerified(db: DB, userId: number, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ email_verified_at: now, updated_at: now })
    .where('id', '=', userId)
    .where('email_verified_at', 'is', null)
    .execute();
}

/** The new address, already proven by the link that was mailed to it. */
export async function changeEmail(db: DB, userId: number, email: string, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ email, email_verified_at: now, updated_at: now })
    .where('id', '=', userId)
    .execute();
}

export async function setTicketEmails(db: DB, userId: number, on: boolean, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ notify_tickets: on ? 1 : 0, updated_at: now })
    .where('id', '=', userId)
    .execute();
}

/**
 * Sets the user's time zone. `onlyIfUnset` (the browser's report): an explicit choice made on the account page, in
 * this or another tab, is never overwritten by it.
 */
export async function setUserTimeZone(
  db: DB,
  userId: number,
  zone: string,
  now: number,
  onlyIfUnset: boolean,
): Promise<void> {
  let query = db.updateTable('users').set({ time_zone: zone, updated_at: now }).where('id', '=', userId);
  if (onlyIfUnset) {
    query = query.where('time_zone', 'is', null);
  }
  await query.execute();
}

/**
 * Records that a TOTP code for `step` was used, unless a code for that step (or a later one) already was.
 * One conditional UPDATE, so two requests racing with the same code cannot both pass.
 */
export async function claimTotpStep(db: DB, userId: number, step: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setTotpSecret(
  db: DB,
  userId: number,
  secretEnc: string,
  step: number,
  now: number,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ totp_secret_enc: secretEnc, totp_enabled_at: now, totp_last_step: step, updated_at: now })
    .where('id', '=', userId)
    .execute();
}

export async function clearTotpSecret(db: DB, userId: number, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ totp_secret_enc: null, totp_enabled_at: null, totp_last_step: null, updated_at: now })
    .where('id', '=', userId)
    .execute();
}
