import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PasswordHasher } from '../../src/lib/password-hasher.ts';

const PREFIX = '$test-hmac-sha256$';

/**
 * A password hasher for tests that are not about hashing: HMAC-SHA-256 keyed with the pepper over a random
 * 16-byte salt and the password, compared in constant time. Microseconds instead of argon2's ~50 ms of CPU, so
 * a suite that signs in hundreds of times does not spend most of its time in argon2. Same contract as the real
 * one (src/lib/password-hasher.ts): `verify(null, …)` checks against a dummy and fails, a malformed
 * stored hash is a failed check, and every hash that is not one of these (e.g. an argon2 hash) needs a rehash.
 *
 * Not for tests about hashing itself, argon2's parameters or the time a sign-in takes: those pass
 * `{ hasher: 'argon2' }` to buildTestApp (see the README's testing section for the list).
 */
export function createFastHasher(opts: { pepper: string }): PasswordHasher {
  const digest = (salt: Buffer, password: string) =>
    createHmac('sha256', opts.pepper).update(salt).update(password, 'utf8').digest();
  const dummy = `${PREFIX}${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64url')}`;
  return {
    async hash(password) {
      const salt = randomBytes(16);
      return `${PREFIX}${salt.toString('base64url')}$${digest(salt, password).toString('base64url')}`;
    },
    async verify(stored, password) {
      const target = stored ?? dummy;
      const [salt, expected] = target.startsWith(PREFIX) ? target.slice(PREFIX.length).split('$') : [];
      if (salt === undefined || expected === undefined) {
        return false;
      }
      const actual = digest(Buffer.from(salt, 'base64url'), password);
      const wanted = Buffer.from(expected, 'base64url');
      return wanted.length === actual.length && timingSafeEqual(wanted, actual) && stored !== null;
    },
    needsRehash(stored) {
      return !stored.startsWith(PREFIX);
    },
  };
}
