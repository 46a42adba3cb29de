import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Priority, Ticket, User } from '../../db/database.ts';
import { uploadBodyLimit } from '../../plugins/uploads.ts';
import { PRIORITIES } from '../../db/database.ts';
import { findUserByEmail, normaliseEmail } from '../users/user.repository.ts';
import { checkUpload, contentDisposition, type AcceptedFile } from './attachments.ts';
import { isStaff, ticketPolicy } from './ticket.policy.ts';
import { findVisibleTicket, listStaff, listTickets, loadThread } from './ticket.repository.ts';
import {
  AttachmentParams,
  CsrfBody,
  ListQuery,
  MESSAGE_MAX,
  NewTicketBody,
  PropertiesBody,
  ReplyBody,
  SUBJECT_MAX,
  TicketIdParams,
  type TicketIdParams as TicketIdParamsType,
} from './ticket.schemas.ts';
import { addReply, createTicket, deleteTicket, resolveTicket, StorageQuotaExceeded, updateProperties } from './ticket.service.ts';
import { DeleteTicketPage, NewTicketPage, TicketListPage, TicketPage, type TicketFormValues } from './ticket.views.tsx';

/** One line, no control characters, single spaces. */
export function cleanSubject(raw: string): string {
  return [...raw].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c)).join('').replace(/\s+/g, ' ').trim();
}

/** Keeps line breaks and tabs; drops other control characters; trims the ends. */
export function cleanMessage(raw: string): string {
  return [...raw.replace(/\r\n?/g, '\n')].filter((c) => c === '\n' || c === '\t' || (c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f)).join('').trim();
}

function checkMessage(message: string): string | undefined {
  if (message.length === 0) {
    return 'Write a message.';
  }
  if (message.length > MESSAGE_MAX) {
    return `Messages can have up to ${MESSAGE_MAX.toLocaleString('en')} characters (this one has ${message.length.toLocaleString('en')}).`;
  }
  return undefined;
}

export default function ticketRoutes(app: FastifyInstance) {
  const { db, config } = app;
  const categories = config.ticketCategories;
  const maxFiles = config.env.ATTACHMENT_MAX_FILES;
  const maxBytes = config.env.ATTACHMENT_MAX_BYTES;
  const maxMb = Math.floor(maxBytes / 1024 / 1024);
  const uploadLimit = uploadBodyLimit(config.env);
  const storageFull = `Your attachments would pass your storage allowance of ${Math.floor(config.env.ATTACHMENT_QUOTA_BYTES / 1024 / 1024)} MB. Your text is kept: send it without the files, or ask support to remove old ones.`;

  /** Checks every uploaded file; one refused file refuses the whole submission, so nothing is half-saved. */
  function acceptUploads(request: FastifyRequest): { files: AcceptedFile[]; error?: string } {
    if (request.uploads.length > maxFiles) {
      return { files: [], error: `Attach at most ${maxFiles} files.` };
    }
    const files: AcceptedFile[] = [];
    for (const upload of request.uploads) {
      const checked = checkUpload(upload, maxBytes);
      if (typeof checked === 'string') {
        return { files: [], error: checked };
      }
      files.push(checked);
    }
    return { files };
  }

  async function visibleOr404(request: FastifyRequest<{ Params: TicketIdParamsType }>): Promise<Ticket | null> {
    const user = request.user as User;
    const ticket = await findVisibleTicket(db, user, request.params.id);
    return ticket && ticketPolicy.view(user, ticket) ? ticket : null;
  }

  async function renderTicket(request: FastifyRequest, reply: FastifyReply, ticket: Ticket, replyState: { message: string; internal: boolean; error?: string; attachmentsError?: string }, status = 200) {
    const user = request.user as User;
    const staff = isStaff(user);
    const [thread, staffMembers, client] = await Promise.all([
      loadThread(db, ticket.id, staff),
      staff ? listStaff(db) : Promise.resolve([]),
      staff ? db.selectFrom('users').select('email').where('id', '=', ticket.client_id).executeTakeFirst() : Promise.resolve(undefined),
    ]);
    return reply.page(
      (ctx) =>
        TicketPage({
          ctx,
          ticket,
          clientEmail: client?.email ?? null,
          entries: thread.entries,
          olderHidden: thread.hidden > 0,
          viewer: user,
          staff,
          canDelete: ticketPolicy.delete(user),
          staffMembers,
          categories,
          reply: replyState,
          maxFiles,
          maxMb,
        }),
      status,
    );
  }

  app.get<{ Querystring: ListQuery }>('/tickets', { config: { access: 'signed-in' }, schema: { querystring: ListQuery } }, async (request, reply) => {
    const user = request.user as User;
    const staff = isStaff(user);
    const query = request.query;
    const page = query.page ?? 1;
    const filters = {
      q: query.q,
      status: query.status === '' || query.status === 'all' ? undefined : query.status,
      priority: query.priority || undefined,
      category: query.category || undefined,
      assignee: query.assignee || undefined,
    };
    const [result, staffMembers] = await Promise.all([listTickets(db, app.conn.dialect, user, filters, page), staff ? listStaff(db) : Promise.resolve([])]);
    return reply.page((ctx) => TicketListPage({ ctx, staff, rows: result.rows, total: result.total, capped: result.capped, page, query, staffMembers, categories }));
  });

  const emptyForm: TicketFormValues = { subject: '', message: '', category: '', priority: 'normal', client_email: '' };

  app.get('/tickets/new', { config: { access: 'signed-in' } }, async (request, reply) =>
    reply.page((ctx) => NewTicketPage({ ctx, staff: isStaff(request.user as User), values: emptyForm, errors: {}, categories, maxFiles, maxMb })),
  );

  app.post<{ Body: NewTicketBody }>(
    '/tickets',
    { config: { access: 'signed-in', uploads: true }, bodyLimit: uploadLimit, schema: { body: NewTicketBody }, attachValidation: true },
    async (request, reply) => {
      const user = request.user as User;
      const staff = isStaff(user);
      const body = (request.body ?? {}) as Partial<NewTicketBody>;
      const values: TicketFormValues = {
        subject: typeof body.subject === 'string' ? cleanSubject(body.subject) : '',
        message: typeof body.message === 'string' ? cleanMessage(body.message) : '',
        category: typeof body.category === 'string' ? body.category : '',
        priority: typeof body.priority === 'string' ? body.priority : 'normal',
        client_email: typeof body.client_email === 'string' ? normaliseEmail(body.client_email) : '',
      };
      const errors: Partial<Record<keyof TicketFormValues | 'attachments' | 'form', string>> = {};
      if (request.validationError) {
        errors.form = 'Some fields were too long or malformed. Subjects can have up to 200 characters and messages up to 20,000.';
      }
      if (values.subject.length === 0) {
        errors.subject = 'Write a subject.';
      } else if (values.subject.length > SUBJECT_MAX) {
        errors.subject = `Subjects can have up to ${SUBJECT_MAX} characters (this one has ${values.subject.length}).`;
      }
      const messageError = checkMessage(values.message);
      if (messageError) {
        errors.message = messageError;
      }
      if (!PRIORITIES.includes(values.priority as Priority)) {
        errors.form = 'Choose a priority from the list.';
      }
      if (values.category && !categories.includes(values.category)) {
        errors.form = 'Choose a category from the list.';
      }
      let client: User | undefined = user;
      if (staff) {
        client = values.client_email ? await findUserByEmail(db, values.client_email).then((found) => (found?.role === 'client' ? found : undefined)) : undefined;
        if (!client) {
          errors.client_email = 'There is no client account with this email. Only clients can be chosen.';
        }
      }
      const uploads = acceptUploads(request);
      if (uploads.error) {
        errors.attachments = `${uploads.error} Please choose the files again.`;
      }
      if (Object.keys(errors).length > 0 || !client) {
        return reply.page((ctx) => NewTicketPage({ ctx, staff, values, errors, categories, maxFiles, maxMb }), 400);
      }
      // Counted before the ticket is written; staff are exempt.
      if (!staff && !(await app.limits.ticketsPerClient.admit(`user:${user.id}`)).admitted) {
        errors.form = `You have opened ${config.env.TICKETS_PER_HOUR} tickets in the last hour, the most we accept. Your text is kept below: please send it again later, or add it to one of your open tickets.`;
        return reply.page((ctx) => NewTicketPage({ ctx, staff, values, errors, categories, maxFiles, maxMb }), 429);
      }
      let id: number;
      try {
        id = await createTicket(app, request, user, {
          client,
          subject: values.subject,
          message: values.message,
          category: values.category || null,
          priority: values.priority as Priority,
          files: uploads.files,
        });
      } catch (error) {
        if (!(error instanceof StorageQuotaExceeded)) {
          throw error;
        }
        errors.attachments = storageFull;
        return reply.page((ctx) => NewTicketPage({ ctx, staff, values, errors, categories, maxFiles, maxMb }), 413);
      }
      return reply.flash('success', 'Your ticket is open. We will reply here and by email.').redirect(`/tickets/${id}`, 303);
    },
  );

  app.get<{ Params: TicketIdParams }>('/tickets/:id', { config: { access: 'signed-in' }, schema: { params: TicketIdParams } }, async (request, reply) => {
    const ticket = await visibleOr404(request);
    return ticket ? renderTicket(request, reply, ticket, { message: '', internal: false }) : reply.callNotFound();
  });

  app.post<{ Params: TicketIdParams; Body: ReplyBody }>(
    '/tickets/:id/messages',
    { config: { access: 'signed-in', uploads: true }, bodyLimit: uploadLimit, schema: { params: TicketIdParams, body: ReplyBody }, attachValidation: true },
    async (request, reply) => {
      const user = request.user as User;
      const ticket = await visibleOr404(request);
      if (!ticket || !ticketPolicy.reply(user, ticket)) {
        return reply.callNotFound();
      }
      const body = (request.body ?? {}) as Partial<ReplyBody>;
      const message = typeof body.message === 'string' ? cleanMessage(body.message) : '';
      const internal = body.internal === '1' && ticketPolicy.addNote(user);
      const error = request.validationError ? 'The message was too long or malformed.' : checkMessage(message);
      const uploads = acceptUploads(request);
      if (error || uploads.error) {
        return renderTicket(request, reply, ticket, { message, internal, error: error ?? 'A file could not be attached.', attachmentsError: uploads.error }, 400);
      }
      // Counted before the message is written; staff are exempt.
      if (!isStaff(user) && !(await app.limits.messagesPerClient.admit(`user:${user.id}`)).admitted) {
        const quota = `You have sent ${config.env.MESSAGES_PER_HOUR} messages in the last hour, the most we accept. Your text is kept below: please send it again later.`;
        return renderTicket(request, reply, ticket, { message, internal, error: quota }, 429);
      }
      let added: boolean;
      try {
        added = await addReply(app, user, ticket.id, { message, internal, files: uploads.files });
      } catch (failure) {
        if (!(failure instanceof StorageQuotaExceeded)) {
          throw failure;
        }
        return renderTicket(request, reply, ticket, { message, internal, error: 'A file could not be attached.', attachmentsError: storageFull }, 413);
      }
      if (!added) {
        return reply.callNotFound();
      }
      return reply.flash('success', internal ? 'Internal note added.' : 'Your reply was sent.').redirect(`/tickets/${ticket.id}`, 303);
    },
  );

  app.post<{ Params: TicketIdParams }>(
    '/tickets/:id/resolve',
    { config: { access: 'signed-in' }, schema: { params: TicketIdParams, body: CsrfBody } },
    async (request, reply) => {
      const user = request.user as User;
      const ticket = await visibleOr404(request);
      if (!ticket || !ticketPolicy.resolve(user, ticket)) {
        return reply.callNotFound();
      }
      await resolveTicket(app, user, ticket);
      return reply.flash('success', 'The ticket is resolved. Reply at any time to reopen it.').redirect(`/tickets/${ticket.id}`, 303);
    },
  );

  app.post<{ Params: TicketIdParams; Body: PropertiesBody }>(
    '/tickets/:id/properties',
    { config: { access: 'staff' }, schema: { params: TicketIdParams, body: PropertiesBody } },
    async (request, reply) => {
      const user = request.user as User;
      const ticket = await visibleOr404(request);
      if (!ticket || !ticketPolicy.manage(user)) {
        return reply.callNotFound();
      }
      const { assignee, priority, category } = request.body;
      const staffMembers = await listStaff(db);
      const changes: { assigneeId?: number | null; priority?: Priority; category?: string | null } = {};
      if (assignee !== undefined) {
        const id = assignee === '' ? null : Number(assignee);
        if (id !== null && !staffMembers.some((m) => m.id === id)) {
          return reply.flash('error', 'Tickets can only be assigned to active agents and administrators.').redirect(`/tickets/${ticket.id}`, 303);
        }
        changes.assigneeId = id;
      }
      if (priority !== undefined) {
        if (!PRIORITIES.includes(priority as Priority)) {
          return reply.flash('error', 'Choose a priority from the list.').redirect(`/tickets/${ticket.id}`, 303);
        }
        changes.priority = priority as Priority;
      }
      if (category !== undefined) {
        if (category !== '' && !categories.includes(category) && category !== ticket.category) {
          return reply.flash('error', 'Choose a category from the list.').redirect(`/tickets/${ticket.id}`, 303);
        }
        changes.category = category || null;
      }
      const label = async (id: number | null) => {
        const member = staffMembers.find((m) => m.id === id);
        return id === null ? null : member ? member.name || member.email : `user ${id}`;
      };
      const changed = await updateProperties(app, user, ticket, changes, label);
      return reply.flash('success', changed ? 'Changes saved.' : 'Nothing was changed.').redirect(`/tickets/${ticket.id}`, 303);
    },
  );

  app.get<{ Params: TicketIdParams }>('/tickets/:id/delete', { config: { access: 'administrator' }, schema: { params: TicketIdParams } }, async (request, reply) => {
    const ticket = await visibleOr404(request);
    return ticket ? reply.page((ctx) => DeleteTicketPage({ ctx, ticket })) : reply.callNotFound();
  });

  app.post<{ Params: TicketIdParams }>(
    '/tickets/:id/delete',
    { config: { access: 'administrator' }, schema: { params: TicketIdParams, body: CsrfBody } },
    async (request, reply) => {
      const user = request.user as User;
      const ticket = await visibleOr404(request);
      if (!ticket || !ticketPolicy.delete(user)) {
        return reply.callNotFound();
      }
      await deleteTicket(app, request, user, ticket);
      return reply.flash('success', `Ticket #${String(ticket.id).padStart(6, '0')} was deleted.`).redirect('/tickets', 303);
    },
  );

  app.get<{ Params: AttachmentParams }>(
    '/tickets/:id/attachments/:attachmentId',
    { config: { access: 'signed-in' }, schema: { params: AttachmentParams } },
    async (request, reply) => {
      const user = request.user as User;
      const ticket = await findVisibleTicket(db, user, request.params.id);
      if (!ticket) {
        return reply.callNotFound();
      }
      const file = await db
        .selectFrom('attachments as a')
        .innerJoin('ticket_messages as m', 'm.id', 'a.message_id')
        .innerJoin('attachment_blobs as b', 'b.attachment_id', 'a.id')
        .select(['a.file_name', 'a.content_type', 'a.size', 'm.kind', 'b.data'])
        .where('a.id', '=', request.params.attachmentId)
        .where('a.ticket_id', '=', ticket.id)
        .executeTakeFirst();
      if (!file || !ticketPolicy.seeMessage(user, file.kind)) {
        return reply.callNotFound();
      }
      return reply
        .header('content-disposition', contentDisposition(file.file_name))
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-store')
        .type(file.content_type)
        .send(Buffer.from(file.data));
    },
  );
}
