import { sql, type RawBuilder } from 'kysely';
import type { DB } from '../../db/database.ts';
import { sha256Hex } from '../../lib/crypto.ts';

/**
 * Consecutive sign-in attempts per attempted email (and, separately, per trusted device: see
 * device-cookie.ts). Every attempt is counted FIRST, in one conditional upsert, and only an attempt the
 * counter admits reaches argon2; a right password then clears the counter. The first FREE_FAILURES
 * attempts are free; the attempt that reaches it starts a 30-second pause, and each attempt admitted after
 * a pause doubles it up to MAX_PAUSE_MS. While paused, attempts are refused (429) without being counted
 * and without running argon2. There is no permanent lock: from any number of IPs an attacker gets at most
 * 12 guesses in the first hour and 4 an hour after that (about 100 a day) per account. Keys are hashes of
 * the email, known or not: a pause says nothing about whether an account exists.
 */
export const FREE_FAILURES = 5;
export const MAX_PAUSE_MS = 15 * 60_000;
const FIRST_PAUSE_MS = 30_000;
/** Failures older than this no longer count as consecutive. */
export const FAILURE_MEMORY_MS = 24 * 3_600_000;

export function throttleKey(email: string): string {
  return sha256Hex(`login:${email.trim().toLowerCase()}`);
}

/** The counter of one trusted device (a valid device cookie) of one user. */
export function deviceThrottleKey(userId: number, deviceId: string): string {
  return sha256Hex(`device:${userId}:${deviceId}`);
}

/** How long the attempt counted as number `count` pauses the key (0 for the free ones). */
export function pauseAfter(count: number): number {
  if (count < FREE_FAILURES) {
    return 0;
  }
  return Math.min(FIRST_PAUSE_MS * 2 ** Math.min(count - FREE_FAILURES, 30), MAX_PAUSE_MS);
}

/** pauseAfter() as SQL, for the count computed inside the same statement. */
function pauseSql(count: RawBuilder<number>): RawBuilder<number> {
  const capAt = Array.from({ length: 40 }, (_, i) => FREE_FAILURES + i).find((n) => pauseAfter(n) >= MAX_PAUSE_MS) ?? FREE_FAILURES;
  const steps: RawBuilder<unknown>[] = [];
  for (let n = capAt - 1; n >= FREE_FAILURES; n--) {
    steps.push(sql`when ${count} = ${sql.lit(n)} then ${sql.lit(pauseAfter(n))}`);
  }
  return sql<number>`(case when ${count} >= ${sql.lit(capAt)} then ${sql.lit(MAX_PAUSE_MS)} ${sql.join(steps, sql` `)} else 0 end)`;
}

export type Attempt = { admitted: true; count: number; pauseMs: number } | { admitted: false; retryMs: number };

/**
 * Counts one sign-in attempt before the password is checked: a single upsert that adds one unless the key
 * is paused, and sets the pause that this count earns, so however many attempts arrive at once, each gets
 * its own number and none gets past a pause that an earlier one started.
 */
export async function countAttempt(db: DB, key: string, now: number): Promise<Attempt> {
  const t = sql.table('login_throttles');
  const next = sql<number>`(case when ${t}.last_failure_at < ${now - FAILURE_MEMORY_MS} then 1 else ${t}.failures + 1 end)`;
  const row = await db
    .insertInto('login_throttles')
    .values({ key, failures: 1, last_failure_at: now, locked_until: now + pauseAfter(1) })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({ failures: next, last_failure_at: now, locked_until: sql<number>`cast(${now} as bigint) + ${pauseSql(next)}` })
        .where(sql<boolean>`${t}.locked_until <= ${now}`),
    )
    .returning(['failures', 'locked_until'])
    .executeTakeFirst();
  if (row) {
    return { admitted: true, count: Number(row.failures), pauseMs: Math.max(0, Number(row.locked_until) - now) };
  }
  return { admitted: false, retryMs: Math.max(1000, (await pausedFor(db, key, now)) || 1000) };
}

/** Milliseconds until this key may be tried again; 0 when it may now. */
export async function pausedFor(db: DB, key: string, now: number): Promise<number> {
  const row = await db.selectFrom('login_throttles').select('locked_until').where('key', '=', key).executeTakeFirst();
  return row ? Math.max(0, Number(row.locked_until) - now) : 0;
}

/** The counter's state for showing to an administrator, or null when there is none. */
export async function throttleState(db: DB, key: string, now: number): Promise<{ failures: number; pausedMs: number } | null> {
  const row = await db.selectFrom('login_throttles').select(['failures', 'locked_until', 'last_failure_at']).where('key', '=', key).executeTakeFirst();
  if (!row || Number(row.last_failure_at) < now - FAILURE_MEMORY_MS) {
    return null;
  }
  return { failures: Number(row.failures), pausedMs: Math.max(0, Number(row.locked_until) - now) };
}

export async function clearLoginFailures(db: DB, key: string): Promise<void> {
  await db.deleteFrom('login_throttles').where('key', '=', key).execute();
}
