import { serviceDeps } from '../../app-deps.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { originOf } from '../../http/origin.ts';
import { lenientQuery, QUERY_RESET_NOTICE } from '../../http/query.ts';
import { requireUser } from '../../http/request-user.ts';
import { auditEventOptions, presentAuditRows } from './audit.presenter.ts';
import { AuditQuery, FailedLoginsQuery, UnlockBody } from './admin.schemas.ts';
import {
  auditPage,
  failedLoginsPage,
  FAILED_LOGIN_WINDOW_DAYS,
  unlockIp,
  type SecurityDeps,
} from './security.service.ts';
import { AuditPage, FailedLoginsPage } from './security.views.tsx';

const admin = { access: 'administrator', fresh: true } as const;
const AUDIT_EVENT_OPTIONS = auditEventOptions();

export default function adminSecurityRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const deps: SecurityDeps = serviceDeps(fastify);

  app.get(
    '/admin/failed-logins',
    { config: admin, schema: { querystring: FailedLoginsQuery }, attachValidation: true },
    async (request, reply) => {
      const { query, reset } = lenientQuery(FailedLoginsQuery, request.query);
      if (reset) {
        reply.notice(QUERY_RESET_NOTICE);
      }
      const page = query.page ?? 1;
      const { rows, hasNext } = await failedLoginsPage(deps, page);
      return reply.page((ctx) => FailedLoginsPage({ ctx, rows, page, hasNext, windowDays: FAILED_LOGIN_WINDOW_DAYS }));
    },
  );

  app.post('/admin/failed-logins/unlock', { config: admin, schema: { body: UnlockBody } }, async (request, reply) => {
    await unlockIp(deps, requireUser(request).id, originOf(request), request.body.ip);
    return reply.flash('success', `${request.body.ip} can sign in again.`).redirect('/admin/failed-logins', 303);
  });

  app.get(
    '/admin/audit',
    { config: admin, schema: { querystring: AuditQuery }, attachValidation: true },
    async (request, reply) => {
      const { query: q, reset } = lenientQuery(AuditQuery, request.query);
      if (reset) {
        reply.notice(QUERY_RESET_NOTICE);
      }
      const { rows, hasNext } = await auditPage(deps, q);
      return reply.page((ctx) =>
        AuditPage({
          ctx,
          rows: presentAuditRows(rows),
          q,
          page: q.page ?? 1,
          hasNext,
          events: AUDIT_EVENT_OPTIONS,
          retentionDays: app.config.env.AUDIT_RETENTION_DAYS,
        }),
      );
    },
  );
}
