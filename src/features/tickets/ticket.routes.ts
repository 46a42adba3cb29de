import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ticket } from '../../db/database.ts';
import { parseForm } from '../../http/forms.ts';
import { originOf } from '../../http/origin.ts';
import { lenientQuery, QUERY_RESET_NOTICE } from '../../http/query.ts';
import { requireUser } from '../../http/request-user.ts';
import { uploadBodyLimit } from '../../plugins/uploads.ts';
import { contentDisposition } from './attachments.ts';
import { DeleteTicketPage, NewTicketPage } from './ticket-form.views.tsx';
import { TicketListPage } from './ticket-list.views.tsx';
import { TicketPage } from './ticket-page.views.tsx';
import { isStaff } from './ticket.policy.ts';
import { presentTicketPage, presentTicketRow } from './ticket.presenter.ts';
import {
  AttachmentParams,
  ButtonForm,
  ListQuery,
  newTicketForm,
  NoteForm,
  PropertiesForm,
  ReplyForm,
  TicketIdParams,
} from './ticket.schemas.ts';
import {
  addNote,
  changeTicketProperties,
  deleteTicket,
  downloadAttachment,
  listTicketPage,
  loadTicketPage,
  openTicket,
  replyToTicket,
  resolveTicket,
  type ReplyState,
} from './ticket.service.ts';
import { ticketDeps } from './ticket.deps.ts';
import { currentTicket, loadTicket } from './ticket.subject.ts';

export default function ticketRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const deps = ticketDeps(fastify);
  const { categories } = deps.settings;
  const attachments = {
    maxFiles: deps.settings.maxFiles,
    maxMb: Math.floor(deps.settings.maxBytes / 1024 / 1024),
    maxBytes: deps.settings.maxBytes,
  };
  const NewTicketForm = newTicketForm(categories);
  const uploadRoute = {
    config: { access: 'signed-in', uploads: true },
    bodyLimit: uploadBodyLimit(fastify.config.env),
    attachValidation: true,
  } as const;
  // Sent while signed out (another tab, idle timeout): to sign in, then back to the form, where the draft waits.
  const newTicketRoute = { ...uploadRoute, config: { ...uploadRoute.config, afterSignIn: '/tickets/new' } } as const;
  const replyRoute = { ...uploadRoute, config: { ...uploadRoute.config, afterSignIn: '/tickets/:id' } } as const;
  const byId = { params: TicketIdParams };

  async function renderTicket(
    request: FastifyRequest,
    reply: FastifyReply,
    ticket: Ticket,
    state: ReplyState,
    status = 200,
  ) {
    const user = requireUser(request);
    const view = presentTicketPage(ticket, await loadTicketPage(deps, user, ticket), user, categories, state);
    return reply.page((ctx) => TicketPage({ ctx, view, attachments }), status);
  }

  app.get(
    '/tickets',
    { config: { access: 'signed-in' }, schema: { querystring: ListQuery }, attachValidation: true },
    async (request, reply) => {
      const user = requireUser(request);
      const { query, reset } = lenientQuery(ListQuery, request.query);
      if (reset) {
        reply.notice(QUERY_RESET_NOTICE);
      }
      const list = await listTicketPage(deps, user, query);
      return reply.page((ctx) =>
        TicketListPage({
          ctx,
          staff: isStaff(user),
          ...list,
          rows: list.rows.map(presentTicketRow),
          query,
          categories,
        }),
      );
    },
  );

  app.get('/tickets/new', { config: { access: 'signed-in' } }, async (request, reply) => {
    const forOthers = isStaff(requireUser(request));
    return reply.page((ctx) => NewTicketPage({ ctx, forOthers, values: {}, errors: {}, categories, attachments }));
  });

  app.post('/tickets', { ...newTicketRoute, schema: { body: NewTicketForm } }, async (request, reply) => {
    const user = requireUser(request);
    const form = parseForm(NewTicketForm, request.body);
    const result = await openTicket(deps, user, form, request.uploads);
    if (!result.ok) {
      return reply.page(
        (ctx) =>
          NewTicketPage({
            ctx,
            forOthers: isStaff(user),
            values: form.values,
            errors: result.errors,
            categories,
            attachments,
          }),
        result.status,
      );
    }
    request.log.info({ ticketId: result.id }, 'ticket opened');
    return reply
      .flash('success', 'Your ticket is open. We will reply here and by email.')
      .redirect(`/tickets/${result.id}`, 303);
  });

  app.get(
    '/tickets/:id',
    { config: { access: 'signed-in' }, schema: byId, preHandler: loadTicket('view') },
    async (request, reply) => renderTicket(request, reply, currentTicket(request), { message: '', internal: false }),
  );

  // The URL a reply error leaves in the address bar (back, reload, bookmark) leads to the ticket.
  app.get(
    '/tickets/:id/messages',
    { config: { access: 'signed-in' }, schema: byId, preHandler: loadTicket('view') },
    async (request, reply) => reply.redirect(`/tickets/${currentTicket(request).id}`, 303),
  );

  app.post(
    '/tickets/:id/messages',
    { ...replyRoute, schema: { ...byId, body: ReplyForm }, preHandler: loadTicket('reply') },
    async (request, reply) => {
      const ticket = currentTicket(request);
      const result = await replyToTicket(
        deps,
        requireUser(request),
        ticket,
        parseForm(ReplyForm, request.body),
        request.uploads,
      );
      if (!result.ok) {
        return renderTicket(request, reply, ticket, result.state, result.status);
      }
      return reply
        .flash('success', result.resolved ? 'Your reply was sent and the ticket resolved.' : 'Your reply was sent.')
        .redirect(`/tickets/${ticket.id}`, 303);
    },
  );

  // An internal note: its own form and route, so a note is never a reply with a box left unticked (or the reverse).
  app.post(
    '/tickets/:id/notes',
    {
      ...uploadRoute,
      config: { ...uploadRoute.config, access: 'staff' },
      schema: { ...byId, body: NoteForm },
      preHandler: loadTicket('addNote'),
    },
    async (request, reply) => {
      const ticket = currentTicket(request);
      const result = await addNote(
        deps,
        requireUser(request),
        ticket,
        parseForm(NoteForm, request.body),
        request.uploads,
      );
      if (!result.ok) {
        return renderTicket(request, reply, ticket, result.state, result.status);
      }
      return reply.flash('success', 'Internal note added.').redirect(`/tickets/${ticket.id}`, 303);
    },
  );

  app.post(
    '/tickets/:id/resolve',
    { config: { access: 'signed-in' }, schema: { ...byId, body: ButtonForm }, preHandler: loadTicket('resolve') },
    async (request, reply) => {
      const ticket = currentTicket(request);
      await resolveTicket(deps, requireUser(request), ticket);
      return reply
        .flash('success', 'The ticket is resolved. Reply at any time to reopen it.')
        .redirect(`/tickets/${ticket.id}`, 303);
    },
  );

  // A one-button form of choices: a refused choice (only a forged form can send one) comes back as a flash message.
  app.post(
    '/tickets/:id/properties',
    {
      config: { access: 'staff' },
      schema: { ...byId, body: PropertiesForm },
      attachValidation: true,
      preHandler: loadTicket('manage'),
    },
    async (request, reply) => {
      const ticket = currentTicket(request);
      const result = await changeTicketProperties(
        deps,
        requireUser(request),
        ticket,
        parseForm(PropertiesForm, request.body),
      );
      const flash = result.ok
        ? reply.flash('success', result.changed ? 'Changes saved.' : 'Nothing was changed.')
        : reply.flash('error', result.error);
      return flash.redirect(`/tickets/${ticket.id}`, 303);
    },
  );

  app.get(
    '/tickets/:id/delete',
    { config: { access: 'administrator' }, schema: byId, preHandler: loadTicket('delete') },
    async (request, reply) => {
      const ticket = currentTicket(request);
      return reply.page((ctx) => DeleteTicketPage({ ctx, ticket }));
    },
  );

  app.post(
    '/tickets/:id/delete',
    { config: { access: 'administrator' }, schema: { ...byId, body: ButtonForm }, preHandler: loadTicket('delete') },
    async (request, reply) => {
      const ticket = currentTicket(request);
      await deleteTicket(deps, requireUser(request), ticket, originOf(request));
      return reply
        .flash('success', `Ticket #${String(ticket.id).padStart(6, '0')} was deleted.`)
        .redirect('/tickets', 303);
    },
  );

  app.get(
    '/tickets/:id/attachments/:attachmentId',
    { config: { access: 'signed-in' }, schema: { params: AttachmentParams }, preHandler: loadTicket('view') },
    async (request, reply) => {
      const file = await downloadAttachment(
        deps,
        requireUser(request),
        currentTicket(request),
        request.params.attachmentId,
      );
      return reply
        .header('content-disposition', contentDisposition(file.file_name))
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-store')
        .type(file.content_type)
        .send(Buffer.from(file.data));
    },
  );
}
