import type { DB } from '../../db/database.ts';
import { sha256Hex } from '../../lib/crypto.ts';

/**
 * Consecutive failed sign-ins per attempted email: free for the first few, then doubling pauses capped at
 * 15 minutes, so credential stuffing from many IPs slows to a crawl while a victim is never locked out for
 * long. While paused, attempts are refused without being counted, so reaching NIST's ceiling of 100
 * consecutive failures (after which the account stays locked until a password reset or an administrator
 * unlocks it) takes an attacker about a day. Keys are hashes of the email, known or not: a lock says
 * nothing about whether an account exists.
 */
export const FREE_FAILURES = 5;
export const MAX_PAUSE_MS = 15 * 60_000;
export const HARD_LOCK_FAILURES = 100;
const FIRST_PAUSE_MS = 30_000;
const FOREVER_MS = 100 * 365 * 24 * 3_600_000;
/** Failures older than this no longer count as consecutive. */
export const FAILURE_MEMORY_MS = 24 * 3_600_000;

export function throttleKey(email: string): string {
  return sha256Hex(`login:${email.trim().toLowerCase()}`);
}

export function pauseAfter(failures: number): number {
  if (failures >= HARD_LOCK_FAILURES) {
    return FOREVER_MS;
  }
  if (failures < FREE_FAILURES) {
    return 0;
  }
  return Math.min(FIRST_PAUSE_MS * 2 ** (failures - FREE_FAILURES), MAX_PAUSE_MS);
}

/** Milliseconds until this email may be tried again; 0 when it may now. */
export async function lockedFor(db: DB, key: string, now: number): Promise<number> {
  const row = await db.selectFrom('login_throttles').select(['locked_until', 'last_failure_at', 'failures']).where('key', '=', key).executeTakeFirst();
  if (!row || (row.failures < HARD_LOCK_FAILURES && row.last_failure_at < now - FAILURE_MEMORY_MS)) {
    return 0;
  }
  return Math.max(0, row.locked_until - now);
}

/** Counts a failure; returns the consecutive count and how long the email is now paused. */
export async function recordLoginFailure(db: DB, key: string, now: number): Promise<{ failures: number; pauseMs: number }> {
  const current = await db.selectFrom('login_throttles').select(['failures', 'last_failure_at']).where('key', '=', key).executeTakeFirst();
  const failures = current && current.last_failure_at >= now - FAILURE_MEMORY_MS ? current.failures + 1 : 1;
  const pauseMs = pauseAfter(failures);
  await db
    .insertInto('login_throttles')
    .values({ key, failures, last_failure_at: now, locked_until: now + pauseMs })
    .onConflict((oc) => oc.column('key').doUpdateSet({ failures, last_failure_at: now, locked_until: now + pauseMs }))
    .execute();
  return { failures, pauseMs };
}

export async function clearLoginFailures(db: DB, key: string): Promise<void> {
  await db.deleteFrom('login_throttles').where('key', '=', key).execute();
}
