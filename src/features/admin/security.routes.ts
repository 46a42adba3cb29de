import type { FastifyInstance } from 'fastify';
import type { User } from '../../db/database.ts';
import { recordAudit, AUDIT_EVENTS } from '../../audit/audit.repository.ts';
import { AuditQuery, FailedLoginsQuery, UnlockBody } from './admin.schemas.ts';
import { AuditPage, FailedLoginsPage, type FailedIpRow } from './security.views.tsx';
import { originOf } from '../../http/origin.ts';

const PAGE_SIZE = 25;
export const FAILED_LOGIN_WINDOW_DAYS = 30;
const DAY = 24 * 3_600_000;

export default function adminSecurityRoutes(app: FastifyInstance) {
  const { db, clock, config } = app;
  const ipLimiter = app.limits.loginIp;
  const admin = { access: 'administrator', fresh: true } as const;

  app.get<{ Querystring: FailedLoginsQuery }>('/admin/failed-logins', { config: admin, schema: { querystring: FailedLoginsQuery } }, async (request, reply) => {
    const page = request.query.page ?? 1;
    const since = clock.now() - FAILED_LOGIN_WINDOW_DAYS * DAY;
    const groups = await db
      .selectFrom('failed_logins')
      .select((eb) => ['ip', eb.fn.countAll<number>().as('attempts'), eb.fn.max('created_at').as('last_attempt')])
      .where('created_at', '>', since)
      .groupBy('ip')
      .orderBy('last_attempt', 'desc')
      .limit(PAGE_SIZE + 1)
      .offset((page - 1) * PAGE_SIZE)
      .execute();
    const shown = groups.slice(0, PAGE_SIZE);
    const ips = shown.map((g) => g.ip);
    const emails =
      ips.length === 0
        ? []
        : await db.selectFrom('failed_logins').select(['ip', 'email']).distinct().where('ip', 'in', ips).where('created_at', '>', since).orderBy('email').limit(ips.length * 20).execute();
    const rows: FailedIpRow[] = await Promise.all(
      shown.map(async (g) => ({
        ip: g.ip,
        attempts: Number(g.attempts),
        lastAttempt: Number(g.last_attempt),
        lockedUntil: await ipLimiter.lockedUntil(g.ip),
        emails: emails.filter((e) => e.ip === g.ip).map((e) => e.email).slice(0, 10),
      })),
    );
    return reply.page((ctx) => FailedLoginsPage({ ctx, rows, page, hasNext: groups.length > PAGE_SIZE, windowDays: FAILED_LOGIN_WINDOW_DAYS }));
  });

  app.post<{ Body: UnlockBody }>('/admin/failed-logins/unlock', { config: admin, schema: { body: UnlockBody } }, async (request, reply) => {
    const actor = request.user as User;
    await ipLimiter.reset(request.body.ip);
    await recordAudit(db, clock.now(), originOf(request), { event: 'login.unlocked', actorUserId: actor.id, details: { scope: 'ip', unlockedIp: request.body.ip } });
    return reply.flash('success', `${request.body.ip} can sign in again.`).redirect('/admin/failed-logins', 303);
  });

  app.get<{ Querystring: AuditQuery }>('/admin/audit', { config: admin, schema: { querystring: AuditQuery } }, async (request, reply) => {
    const q = request.query;
    const page = q.page ?? 1;
    let query = db
      .selectFrom('audit_events as e')
      .leftJoin('users as a', 'a.id', 'e.actor_user_id')
      .leftJoin('users as t', 't.id', 'e.target_user_id')
      .select(['e.id', 'e.created_at', 'e.event', 'e.ip', 'e.user_agent', 'e.details', 'a.email as actor_email', 't.email as target_email']);
    if (q.event) {
      query = query.where('e.event', '=', q.event);
    }
    if (q.ip) {
      query = query.where('e.ip', '=', q.ip);
    }
    if (q.user?.trim()) {
      const user = await db.selectFrom('users').select('id').where('email', '=', q.user.trim().toLowerCase()).executeTakeFirst();
      const id = user?.id ?? -1;
      query = query.where((eb) => eb.or([eb('e.actor_user_id', '=', id), eb('e.target_user_id', '=', id)]));
    }
    if (q.from) {
      query = query.where('e.created_at', '>=', Date.parse(`${q.from}T00:00:00Z`) || 0);
    }
    if (q.to) {
      query = query.where('e.created_at', '<', (Date.parse(`${q.to}T00:00:00Z`) || 0) + DAY);
    }
    const rows = await query.orderBy('e.created_at', 'desc').orderBy('e.id', 'desc').limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE).execute();
    return reply.page((ctx) =>
      AuditPage({ ctx, rows: rows.slice(0, PAGE_SIZE), q, page, hasNext: rows.length > PAGE_SIZE, events: [...AUDIT_EVENTS].sort(), retentionDays: config.env.AUDIT_RETENTION_DAYS }),
    );
  });
}
