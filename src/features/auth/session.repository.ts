import type { DB, Session } from '../../db/database.ts';

/** The user's sessions that are neither expired nor idle, most recently used first. */
export function listActiveSessions(db: DB, userId: number, now: number, idleMs: number): Promise<Session[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .where('last_seen_at', '>', now - idleMs)
    .orderBy('last_seen_at', 'desc')
    .execute();
}

export async function deleteSessionOfUser(db: DB, sessionId: string, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).where('user_id', '=', userId).execute();
}
