import type { DB } from '../../db/database.ts';

/** Why a sign-in step failed, as the administrators' failed-logins page lists it. */
export type FailedLoginReason = 'ip_locked' | 'locked' | 'unknown_email' | 'wrong_password' | 'disabled' | 'wrong_code';

export interface FailedLogin {
  ip: string;
  email: string;
  userId: number | null;
  reason: FailedLoginReason;
}

/** The one writer of `failed_logins`: passwords, paused and locked attempts, and wrong second-factor codes. */
export async function recordFailedLogin(db: DB, now: number, attempt: FailedLogin): Promise<void> {
  await db
    .insertInto('failed_logins')
    .values({ ip: attempt.ip, email: attempt.email, user_id: attempt.userId, reason: attempt.reason, created_at: now })
    .execute();
}
