import type { FastifyInstance } from 'fastify';
import { toUser, type DB, type Role, type TokenPurpose, type User } from '../../src/db/database.ts';
import { generateTotpSecret } from '../../src/features/two-factor/totp.ts';
import { createTwoFactorKeys } from '../../src/features/two-factor/two-factor.service.ts';
import { encrypt } from '../../src/lib/crypto.ts';

let counter = 0;

export const DEFAULT_TEST_PASSWORD = 'a long test passphrase 42';

export type TestUser = User & { password: string; totpSecret: string | null };

/** A user as the app would have them after signing up; by default verified and enrolled in TOTP. */
export async function createUser(
  app: FastifyInstance,
  overrides: {
    role?: Role;
    email?: string;
    password?: string;
    verified?: boolean;
    disabled?: boolean;
    passwordHash?: string;
    twoFactor?: boolean;
  } = {},
): Promise<TestUser> {
  counter += 1;
  const now = app.clock.now();
  const password = overrides.password ?? DEFAULT_TEST_PASSWORD;
  const user = await app.db
    .insertInto('users')
    .values({
      email: overrides.email ?? `user${counter}-${process.pid}@example.test`,
      name: '',
      password_hash: overrides.passwordHash ?? (await app.hasher.hash(password)),
      role: overrides.role ?? 'client',
      email_verified_at: overrides.verified === false ? null : now,
      disabled_at: overrides.disabled ? now : null,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (overrides.twoFactor === false) {
    return { ...toUser(user), password, totpSecret: null };
  }
  const totpSecret = generateTotpSecret();
  const enrolled = await app.db
    .updateTable('users')
    .set({
      totp_secret_enc: encrypt(createTwoFactorKeys(app.config).secret, totpSecret, `user:${user.id}`),
      totp_enabled_at: now,
    })
    .where('id', '=', user.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...toUser(enrolled), password, totpSecret };
}

/** How many emailed links (used or not) the user has been issued for `purpose`. */
export async function countTokens(db: DB, userId: number, purpose: TokenPurpose): Promise<number> {
  const rows = await db
    .selectFrom('user_tokens')
    .select('id')
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .execute();
  return rows.length;
}
