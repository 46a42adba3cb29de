import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { serviceDeps } from '../../app-deps.ts';
import { originOf } from '../../http/origin.ts';
import { lenientQuery, QUERY_RESET_NOTICE } from '../../http/query.ts';
import { requireUser } from '../../http/request-user.ts';
import { defineSubject } from '../../http/subject.ts';
import { notFound } from '../../lib/errors.ts';
import { findInboxRow, type InboxRow } from './mail-admin.repository.ts';
import { ClearUndeliverableBody, InboxIdParams, MailActionBody, MailPageQuery } from './mail-admin.schemas.ts';
import {
  approveHeldMail,
  clearUndeliverable,
  inboundSettings,
  mailMessage,
  mailPage,
  rejectHeldMail,
  retryMail,
  STALE_AFTER_MS,
  type Actor,
  type MailAdminDeps,
} from './mail-admin.service.ts';
import { MailMessagePage, MailPage } from './mail-admin.views.tsx';

/** Held mail is staff business (agents approve and reject it); sources, failures and bounces are administrators'. */
const staff = { access: 'staff' } as const;
const admin = { access: 'administrator' } as const;
const oneButton = { params: InboxIdParams, body: MailActionBody };

const inboxMessage = defineSubject<InboxRow>('inbox message');

const ALREADY_DECIDED = 'This message was already decided by someone else: the page has been refreshed.';

function actorOf(request: FastifyRequest): Actor {
  return { user: requireUser(request), origin: originOf(request) };
}

const toMailPage = (reply: FastifyReply, kind: 'success' | 'error', message: string) =>
  reply.flash(kind, message).redirect('/admin/mail', 303);

export default function mailAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const settings = inboundSettings(fastify.config.env);
  const deps: MailAdminDeps = { ...serviceDeps(fastify), settings, wakeWorker: () => fastify.inbound.worker.kick() };

  const loadInboxMessage = inboxMessage.loader(async (request) => {
    const { id } = request.params as { id: number };
    const row = await findInboxRow(fastify.db, id);
    if (!row) {
      throw notFound();
    }
    return row;
  });

  app.get(
    '/admin/mail',
    { config: staff, schema: { querystring: MailPageQuery }, attachValidation: true },
    async (request, reply) => {
      const { query, reset } = lenientQuery(MailPageQuery, request.query);
      if (reset) {
        reply.notice(QUERY_RESET_NOTICE);
      }
      const data = await mailPage(deps, requireUser(request), query.page ?? 1);
      return reply.page((ctx) => MailPage({ ctx, data }));
    },
  );

  app.get(
    '/admin/mail/:id',
    { config: staff, schema: { params: InboxIdParams }, preHandler: loadInboxMessage },
    async (request, reply) => {
      const message = inboxMessage.of(request);
      const administrator = requireUser(request).role === 'administrator';
      const data = await mailMessage(deps, message);
      const stale = message.status === 'pending' && message.received_at < fastify.clock.now() - STALE_AFTER_MS;
      const can = {
        decide: message.status === 'held',
        retry: administrator && (message.status === 'failed' || stale),
      };
      return reply.page((ctx) => MailMessagePage({ ctx, data, can }));
    },
  );

  app.post(
    '/admin/mail/:id/approve',
    { config: staff, schema: oneButton, preHandler: loadInboxMessage },
    async (request, reply) => {
      const result = await approveHeldMail(deps, actorOf(request), inboxMessage.of(request));
      return result === 'ok'
        ? toMailPage(reply, 'success', 'Approved: the message is added to its ticket (or opens one) in a moment.')
        : toMailPage(reply, 'error', ALREADY_DECIDED);
    },
  );

  app.post(
    '/admin/mail/:id/reject',
    { config: staff, schema: oneButton, preHandler: loadInboxMessage },
    async (request, reply) => {
      const result = await rejectHeldMail(deps, actorOf(request), inboxMessage.of(request));
      return result === 'ok'
        ? toMailPage(reply, 'success', 'Rejected: the message is kept here and never reaches a ticket.')
        : toMailPage(reply, 'error', ALREADY_DECIDED);
    },
  );

  app.post(
    '/admin/mail/:id/retry',
    { config: admin, schema: oneButton, preHandler: loadInboxMessage },
    async (request, reply) => {
      const result = await retryMail(deps, actorOf(request), inboxMessage.of(request));
      return result === 'ok'
        ? toMailPage(reply, 'success', 'The message will be processed again in a moment.')
        : toMailPage(reply, 'error', 'This message is not waiting for a retry any more: the page has been refreshed.');
    },
  );

  app.post(
    '/admin/mail/undeliverable/clear',
    { config: admin, schema: { body: ClearUndeliverableBody } },
    async (request, reply) => {
      const address = request.body.address;
      return (await clearUndeliverable(deps, actorOf(request), address))
        ? toMailPage(reply, 'success', `${address} is no longer marked undeliverable.`)
        : toMailPage(reply, 'error', `${address} was not marked undeliverable (any more).`);
    },
  );
}
