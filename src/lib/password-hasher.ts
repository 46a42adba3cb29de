import { availableParallelism } from 'node:os';
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

/** Runs at most `limit` calls of `fn` at once; the others wait their turn in order. */
function limitConcurrency(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (running < limit) {
      running++;
    } else {
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) {
        next();
      } else {
        running--;
      }
    }
  };
}

/**
 * argon2id with a random salt per hash (the library draws it) and the pepper as argon2's secret input,
 * so a stolen database alone cannot be brute-forced. Hashing runs on libuv's thread pool, off the event loop.
 * At most `concurrency` hashes run at once (default: one per CPU core): each holds `memoryCost` KiB, and more
 * hashes than cores only share the same cores, so a burst of logins costs memory without adding throughput.
 */
export function createArgon2Hasher(opts: {
  pepper: string;
  memoryCost: number;
  timeCost: number;
  concurrency?: number;
}): PasswordHasher {
  const secret = Buffer.from(opts.pepper, 'utf8');
  const params = { algorithm: ARGON2ID, memoryCost: opts.memoryCost, timeCost: opts.timeCost, parallelism: 1, secret };
  const current = `m=${opts.memoryCost},t=${opts.timeCost},p=1`;
  const limited = limitConcurrency(Math.max(1, opts.concurrency ?? availableParallelism()));
  // Unknown emails are verified against this, so they cost the same time as a wrong password.
  let dummy: Promise<string> | undefined;

  return {
    hash: (password) => limited(() => hash(password, params)),
    async verify(stored, password) {
      const target = stored ?? (await (dummy ??= limited(() => hash('parapet-dummy-password', params))));
      try {
        const ok = await limited(() => verify(target, password, { secret }));
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
