import type { DB, User } from '../../db/database.ts';
import type { PasswordHasher } from '../../lib/password-hasher.ts';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';
import { findUserByEmail } from '../users/user.repository.ts';

export type LoginFailure = 'unknown_email' | 'wrong_password' | 'disabled' | 'invalid_input';
export type LoginResult = { ok: true; user: User } | { ok: false; reason: LoginFailure; user: User | null };

/**
 * Checks an email and password. Every path that reaches the hasher does exactly one argon2 verification,
 * so an unknown email takes as long as a wrong password. Over-long input is refused before any hashing.
 */
export async function checkCredentials(deps: { db: DB; hasher: PasswordHasher; now: number }, email: string, password: string): Promise<LoginResult> {
  if (email.length === 0 || password.length === 0 || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    return { ok: false, reason: 'invalid_input', user: null };
  }
  const user = (await findUserByEmail(deps.db, email)) ?? null;
  const valid = await deps.hasher.verify(user?.password_hash ?? null, password);
  if (!user) {
    return { ok: false, reason: 'unknown_email', user: null };
  }
  if (!valid) {
    return { ok: false, reason: 'wrong_password', user };
  }
  if (user.disabled_at !== null) {
    return { ok: false, reason: 'disabled', user };
  }
  if (deps.hasher.needsRehash(user.password_hash)) {
    // Parameters were raised since this hash was made: upgrade it now that we hold the plain password.
    const upgraded = await deps.hasher.hash(password);
    await deps.db.updateTable('users').set({ password_hash: upgraded, updated_at: deps.now }).where('id', '=', user.id).execute();
  }
  return { ok: true, user };
}
