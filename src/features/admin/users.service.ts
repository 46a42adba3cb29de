import type { DB, Role, User } from '../../db/database.ts';
import { randomToken } from '../../lib/crypto.ts';
import type { PasswordHasher } from '../../lib/password-hasher.ts';
import { deleteTicketsOfClient, moveTicketsOfClient } from '../tickets/ticket.service.ts';

export const DELETED_USER_EMAIL = 'deleted-user@parapet.invalid';

/** Active administrators other than `exceptId`: the last one may not be demoted, disabled or deleted. */
export async function otherActiveAdministrators(db: DB, exceptId: number): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'administrator')
    .where('disabled_at', 'is', null)
    .where('id', '!=', exceptId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function isLastActiveAdministrator(db: DB, user: User): Promise<boolean> {
  if (user.role !== 'administrator' || user.disabled_at !== null) {
    return Promise.resolve(false);
  }
  return otherActiveAdministrators(db, user.id).then((n) => n === 0);
}

/** A password nobody knows: invited users choose theirs through the emailed link. */
export async function unusablePasswordHash(hasher: PasswordHasher): Promise<string> {
  return hasher.hash(randomToken(32));
}

export type AdministratorCheck = 'ok' | 'last' | 'actor_not_admin';

/**
 * Run inside the transaction that demotes, disables or deletes `targetId`, before that write: 'last' when it
 * would leave no active administrator, 'actor_not_admin' when the acting administrator was demoted or
 * disabled meanwhile. On PostgreSQL the active administrators' rows are locked (FOR UPDATE, in id order), so
 * administrators acting on each other at the same moment take turns and each sees the others' result; on
 * SQLite the transaction already holds the database's write lock (`begin immediate`, src/db/sqlite-statements.ts).
 */
export async function checkAdministratorChange(trx: DB, dialect: 'sqlite' | 'postgres', actorId: number, targetId: number): Promise<AdministratorCheck> {
  let query = trx.selectFrom('users').select('id').where('role', '=', 'administrator').where('disabled_at', 'is', null).orderBy('id');
  if (dialect === 'postgres') {
    query = query.forUpdate();
  }
  const ids = (await query.execute()).map((row) => row.id);
  if (!ids.includes(actorId)) {
    return 'actor_not_admin';
  }
  return ids.includes(targetId) && ids.length === 1 ? 'last' : 'ok';
}

/**
 * The anonymous owner of tickets whose client was deleted but whose tickets were kept: the one row flagged
 * `is_placeholder` (a partial unique index allows one). Its address is in the reserved `.invalid` domain, which
 * registration, invitations and email changes refuse; should an older account hold that address, another one is used.
 */
export async function deletedUserPlaceholder(db: DB, hasher: PasswordHasher, now: number): Promise<number> {
  const find = () => db.selectFrom('users').select('id').where('is_placeholder', '=', 1).executeTakeFirst();
  const existing = await find();
  if (existing) {
    return existing.id;
  }
  const passwordHash = await unusablePasswordHash(hasher);
  for (const email of [DELETED_USER_EMAIL, `deleted-user-${randomToken(6).toLowerCase()}@parapet.invalid`]) {
    await db
      .insertInto('users')
      .values({
        email,
        name: 'Deleted user',
        password_hash: passwordHash,
        role: 'client' as Role,
        email_verified_at: null,
        disabled_at: now,
        created_at: now,
        updated_at: now,
        last_login_at: null,
        notify_tickets: 0,
        is_placeholder: 1,
      })
      // Another deletion created the placeholder first (the flag's unique index), or the address is taken.
      .onConflict((oc) => oc.doNothing())
      .execute();
    const placeholder = await find();
    if (placeholder) {
      return placeholder.id;
    }
  }
  throw new Error('could not create the deleted-user placeholder');
}

/** Deletes a user; their tickets go with them or are kept under the anonymous placeholder. */
export async function deleteUser(trx: DB, dialect: 'sqlite' | 'postgres', user: User, keepTickets: boolean, placeholderId: number | null): Promise<number> {
  let affected: number;
  if (keepTickets && placeholderId !== null) {
    affected = await moveTicketsOfClient(trx, dialect, user.id, placeholderId);
  } else {
    affected = await deleteTicketsOfClient(trx, dialect, user.id);
  }
  await trx.deleteFrom('users').where('id', '=', user.id).execute();
  return affected;
}
