import type { DB, NewUser, User } from '../../db/database.ts';

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function findUserByEmail(db: DB, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
}

/** Inserts unless the email is taken; returns the new user, or undefined when another process won the race. */
export async function insertUserIfAbsent(db: DB, user: NewUser): Promise<User | undefined> {
  return db
    .insertInto('users')
    .values({ ...user, email: normaliseEmail(user.email) })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
}

// — used by auth, accounts and two-factor —

export function findUserById(db: DB, id: number): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function hasAdministrator(db: DB): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('role', '=', 'administrator').limit(1).executeTakeFirst()) !== undefined;
}

/** Another account (not `userId`) has this address. */
export async function isEmailTakenByOther(db: DB, email: string, userId: number): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('email', '=', email).where('id', '!=', userId).executeTakeFirst()) !== undefined;
}

export async function updatePasswordHash(db: DB, userId: number, passwordHash: string, now: number): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).execute();
}

/** A password set through an emailed link: following the link proves the address, so it becomes verified too. */
export async function resetPasswordHash(db: DB, userId: number, passwordHash: string, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({ password_hash: passwordHash, updated_at: now, email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(now)) }))
    .where('id', '=', userId)
    .execute();
}

export async function markEmailVerified(db: DB, userId: number, now: number): Promise<void> {
  await db.updateTable('users').set({ email_verified_at: now, updated_at: now }).where('id', '=', userId).where('email_verified_at', 'is', null).execute();
}

/** The new address, already proven by the link that was mailed to it. */
export async function changeEmail(db: DB, userId: number, email: string, now: number): Promise<void> {
  await db.updateTable('users').set({ email, email_verified_at: now, updated_at: now }).where('id', '=', userId).execute();
}

export async function setTicketEmails(db: DB, userId: number, on: boolean, now: number): Promise<void> {
  await db.updateTable('users').set({ notify_tickets: on ? 1 : 0, updated_at: now }).where('id', '=', userId).execute();
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

export async function setTotpSecret(db: DB, userId: number, secretEnc: string, step: number, now: number): Promise<void> {
  await db.updateTable('users').set({ totp_secret_enc: secretEnc, totp_enabled_at: now, totp_last_step: step, updated_at: now }).where('id', '=', userId).execute();
}

export async function clearTotpSecret(db: DB, userId: number, now: number): Promise<void> {
  await db.updateTable('users').set({ totp_secret_enc: null, totp_enabled_at: null, totp_last_step: null, updated_at: now }).where('id', '=', userId).execute();
}
