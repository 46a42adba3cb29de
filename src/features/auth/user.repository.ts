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
