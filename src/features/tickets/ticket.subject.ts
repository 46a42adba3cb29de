import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Ticket } from '../../db/database.ts';
import { authorize } from '../../http/policy.ts';
import { requireUser } from '../../http/request-user.ts';
import { defineSubject } from '../../http/subject.ts';
import { ticketPolicy, type TicketAction } from './ticket.policy.ts';
import { findVisibleTicket } from './ticket.repository.ts';

const ticketSubject = defineSubject<Ticket>('ticket');

/**
 * The preHandler of every route on `/tickets/:id…`: loads the ticket the signed-in user may see and checks that they
 * may do `action` with it, else 404 (the same as no such ticket). The handler reads it with `currentTicket(request)`.
 */
export function loadTicket(action: TicketAction): preHandlerAsyncHookHandler {
  return ticketSubject.loader(async (request) => {
    const user = requireUser(request);
    // The route's params schema has made `id` an integer.
    const ticket = await findVisibleTicket(request.server.db, user, (request.params as { id: number }).id);
    authorize(ticketPolicy, user, action, ticket);
    return ticket;
  });
}

export function currentTicket(request: FastifyRequest): Ticket {
  return ticketSubject.of(request);
}
