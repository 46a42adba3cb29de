import type { FastifyInstance } from 'fastify';
import type { Role, User } from '../../src/db/database.ts';

let counter = 0;

export const DEFAULT_TEST_PASSWORD = 'a long test passphrase 42';

export async function createUser(
  app: FastifyInstance,
  overrides: { role?: Role; email?: string; password?: string; verified?: boolean; disabled?: boolean; passwordHash?: string } = {},
): Promise<User & { password: string }> {
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
  return { ...user, password };
}
