import type { DB } from '../../db/database.ts';

/** Reads behind the administrator pages that are not about the users table itself: counts, failed sign-ins, the audit log. */

export async function countLiveSessions(db: DB, userId: number, now: number): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countTicketsOfClient(db: DB, clientId: number): Promise<number> {
  const row = await db
    .selectFrom('tickets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('client_id', '=', clientId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface FailedLoginGroup {
  ip: string;
  attempts: number;
  lastAttempt: number;
}

/** Failed sign-ins since `since`, one row per IP address, the most recent first. */
export async function failedLoginsByIp(
  db: DB,
  since: number,
  page: { limit: number; offset: number },
): Promise<FailedLoginGroup[]> {
  const groups = await db
    .selectFrom('failed_logins')
    .select((eb) => ['ip', eb.fn.countAll<number>().as('attempts'), eb.fn.max('created_at').as('last_attempt')])
    .where('created_at', '>', since)
    .groupBy('ip')
    .orderBy('last_attempt', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return groups.map((g) => ({ ip: g.ip, attempts: Number(g.attempts), lastAttempt: Number(g.last_attempt) }));
}

/** The distinct addresses tried from these IPs since `since` (at most `perIp` × the number of IPs, by address). */
export async function emailsTriedFrom(
  db: DB,
  ips: string[],
  since: number,
  perIp: number,
): Promise<Array<{ ip: string; email: string }>> {
  if (ips.length === 0) {
    return [];
  }
  return db
    .selectFrom('failed_logins')
    .select(['ip', 'email'])
    .distinct()
    .where('ip', 'in', ips)
    .where('created_at', '>', since)
    .orderBy('email')
    .limit(ips.length * perIp)
    .execute();
}

export interface AuditFilter {
  event?: string;
  ip?: string;
  /** Events where this user is the actor or the target; -1 matches nothing. */
  userId?: number;
  from?: number;
  before?: number;
}

export interface AuditRow {
  id: number;
  created_at: number;
  event: string;
  actor_email: string | null;
  target_email: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string;
}

/** One page of audit events with the actor's and target's addresses, newest first. */
export async function listAuditEvents(
  db: DB,
  filter: AuditFilter,
  page: { limit: number; offset: number },
): Promise<AuditRow[]> {
  let query = db
    .selectFrom('audit_events as e')
    .leftJoin('users as a', 'a.id', 'e.actor_user_id')
    .leftJoin('users as t', 't.id', 'e.target_user_id')
    .select([
      'e.id',
      'e.created_at',
      'e.event',
      'e.ip',
      'e.user_agent',
      'e.details',
      'a.email as actor_email',
      't.email as target_email',
    ]);
  if (filter.event) {
    query = query.where('e.event', '=', filter.event);
  }
  if (filter.ip) {
    query = query.where('e.ip', '=', filter.ip);
  }
  if (filter.userId !== undefined) {
    const id = filter.userId;
    query = query.where((eb) => eb.or([eb('e.actor_user_id', '=', id), eb('e.target_user_id', '=', id)]));
  }
  if (filter.from !== undefined) {
    query = query.where('e.created_at', '>=', filter.from);
  }
  if (filter.before !== undefined) {
    query = query.where('e.created_at', '<', filter.before);
  }
  return query.orderBy('e.created_at', 'desc').orderBy('e.id', 'desc').limit(page.limit).offset(page.offset).execute();
}
