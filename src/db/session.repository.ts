import { toUser, type DB, type Session, type User } from './database.ts';

/** The session with this id and its user, or undefined. */
export async function findSessionWithUser(db: DB, id: string): Promise<{ session: Session; user: User } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.id as s_id',
      'sessions.stage as s_stage',
      'sessions.created_at as s_created_at',
      'sessions.last_seen_at as s_last_seen_at',
      'sessions.authenticated_at as s_authenticated_at',
      'sessions.expires_at as s_expires_at',
      'sessions.ip as s_ip',
      'sessions.user_agent as s_user_agent',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
  if (!row) {
    return undefined;
  }
  const { s_id, s_stage, s_created_at, s_last_seen_at, s_authenticated_at, s_expires_at, s_ip, s_user_agent, ...user } =
    row;
  return {
    user: toUser(user),
    session: {
      id: s_id,
      user_id: user.id,
      stage: s_stage,
      created_at: s_created_at,
      last_seen_at: s_last_seen_at,
      authenticated_at: s_authenticated_at,
      expires_at: s_expires_at,
      ip: s_ip,
      user_agent: s_user_agent,
    },
  };
}

export async function deleteSession(db: DB, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

export async function touchSession(db: DB, id: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

/**
 * In one transaction: ends `previousId` (if any), stores `session`, and for a complete ('full') sign-in records it
 * as the user's last sign-in.
 */
export async function startSessionRow(db: DB, session: Session, previousId: string | null): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (previousId !== null) {
      await trx.deleteFrom('sessions').where('id', '=', previousId).execute();
    }
    await trx.insertInto('sessions').values(session).execute();
    if (session.stage === 'full') {
      // Only a complete sign-in (password, verified email, code) counts as the user's last sign-in.
      await trx
        .updateTable('users')
        .set({ last_login_at: session.created_at })
        .where('id', '=', session.user_id)
        .execute();
    }
  });
}

/**
 * Replaces session `currentId` by `session` (a new id) in one transaction, only if the old one still exists:
 * a session ended meanwhile is not brought back under a new name. Answers whether it was replaced.
 */
export async function replaceSessionRow(db: DB, currentId: string, session: Session): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom('sessions').where('id', '=', currentId).executeTakeFirst();
    if (Number(removed.numDeletedRows) !== 1) {
      return false;
    }
    await trx.insertInto('sessions').values(session).execute();
    return true;
  });
}

/** The signed-in user as stored now (the session's user always exists: deleting a user ends its sessions). */
export async function findSessionUser(db: DB, userId: number): Promise<User> {
  return toUser(await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow());
}

/**
 * Ends the user's sessions: all of them, or all but `keepSessionId` (the session making a credential change,
 * which then gets a new token through reply.rotateSession()). Returns how many ended. Every credential change
 * and every administrator action on a user goes through here (see features/auth/session.service.ts).
 */
export async function endSessionsOfUser(db: DB, userId: number, keepSessionId: string | null = null): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepSessionId !== null) {
    query = query.where('id', '!=', keepSessionId);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes sessions that have passed their absolute or idle limit. */
export async function purgeExpiredSessions(db: DB, now: number, idleMs: number): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - idleMs)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

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
