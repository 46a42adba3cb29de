import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id; the enum is a const enum that isolated modules cannot import.
const ARGON2ID = 2;

export const MAX_PASSWORD_BYTES = 1024;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant work whether or not `stored` is a real hash: pass null to verify against a dummy. */
  verify(stored: string | null, password: string): Promise<boolean>;
  needsRehash(stored: string): boolean;
}

/**
 * argon2id with a random salt per hash (the library draws it) and the pepper as argon2's secret input,
 * so a stolen database alone cannot be brute-forced. Hashing runs on libuv's thread pool, off the event loop.
 */
export function createArgon2Hasher(opts: { pepper: string; memoryCost: number; timeCost: number }): PasswordHasher {
  const secret = Buffer.from(opts.pepper, 'utf8');
  const params = { algorithm: ARGON2ID, memoryCost: opts.memoryCost, timeCost: opts.timeCost, parallelism: 1, secret };
  const current = `m=${opts.memoryCost},t=${opts.timeCost},p=1`;
  // Unknown emails are verified against this, so they cost the same time as a wrong password.
  let dummy: Promise<string> | undefined;

  return {
    hash: (password) => hash(password, params),
    async verify(stored, password) {
      const target = stored ?? (await (dummy ??= hash('parapet-dummy-password', params)));
      try {
        const ok = await verify(target, password, { secret });
        return ok && stored !== null;
      } catch {
        // A malformed stored hash is a failed login, not a crash.
        return false;
      }
    },
    needsRehash(stored) {
      const match = /^\$argon2id\$v=19\$(m=\d+,t=\d+,p=\d+)\$/.exec(stored);
      return match?.[1] !== current;
    },
  };
}
