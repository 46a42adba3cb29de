import { sql, type RawBuilder } from 'kysely';
import type { DB } from '../../db/database.ts';
import { FAILURE_MEMORY_MS, FREE_FAILURES, MAX_PAUSE_MS, pauseAfter, type Attempt } from './login-throttle.ts';

/** pauseAfter() as SQL, for the count computed inside the same statement. */
function pauseSql(count: RawBuilder<number>): RawBuilder<number> {
  const capAt =
    Array.from({ length: 40 }, (_, i) => FREE_FAILURES + i).find((n) => pauseAfter(n) >= MAX_PAUSE_MS) ?? FREE_FAILURES;
  const steps: RawBuilder<unknown>[] = [];
  for (let n = capAt - 1; n >= FREE_FAILURES; n--) {
    steps.push(sql`when ${count} = ${sql.lit(n)} then ${sql.lit(pauseAfter(n))}`);
  }
  return sql<number>`(case when ${count} >= ${sql.lit(capAt)} then ${sql.lit(MAX_PAUSE_MS)} ${sql.join(steps, sql` `)} else 0 end)`;
}

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
        .doUpdateSet({
          failures: next,
          last_failure_at: now,
          locked_until: sql<number>`cast(${now} as bigint) + ${pauseSql(next)}`,
        })
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
export async function throttleState(
  db: DB,
  key: string,
  now: number,
): Promise<{ failures: number; pausedMs: number } | null> {
  const row = await db
    .selectFrom('login_throttles')
    .select(['failures', 'locked_until', 'last_failure_at'])
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row || Number(row.last_failure_at) < now - FAILURE_MEMORY_MS) {
    return null;
  }
  return { failures: Number(row.failures), pausedMs: Math.max(0, Number(row.locked_until) - now) };
}

export async function clearLoginFailures(db: DB, key: string): Promise<void> {
  await db.deleteFrom('login_throttles').where('key', '=', key).execute();
}
