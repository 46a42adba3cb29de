import type { MessageKind, Ticket, User } from '../../db/database.ts';
import type { Policy } from '../../http/policy.ts';
import type { TicketEvent } from './ticket.repository.ts';

/**
 * Who may see and do what with tickets, messages and attachments: one place, checked by every ticket route through
 * `authorize` (see loadTicket). A client may only ever reach its own tickets; everything else about another client's
 * ticket is a 404.
 */
/** Staff also see every ticket in lists and search, and open tickets on behalf of clients. */
export const isStaff = (user: Pick<User, 'role'>): boolean => user.role === 'agent' || user.role === 'administrator';

type OwnedTicket = Pick<Ticket, 'client_id'>;

type TicketRule = (user: User, ticket: OwnedTicket) => boolean;

const canView: TicketRule = (user, ticket) => isStaff(user) || ticket.client_id === user.id;

export const ticketPolicy: Record<'view' | 'reply' | 'resolve' | 'addNote' | 'manage' | 'delete', TicketRule> = {
  view: canView,
  reply: canView,
  resolve: canView,
  addNote: (user) => isStaff(user),
  manage: (user) => isStaff(user),
  delete: (user) => user.role === 'administrator',
};

export type TicketAction = keyof typeof ticketPolicy;

/** Internal notes never reach clients: not in pages, emails, counts, search or attachment downloads. */
export const messagePolicy = {
  see: (user, message) => message.kind !== 'note' || isStaff(user),
} satisfies Policy<{ kind: MessageKind }>;

/** Clients see status and priority changes; assignment and categories are staff business. */
export const eventPolicy = {
  see: (user, event) => isStaff(user) || event.field === 'status' || event.field === 'priority',
} satisfies Policy<Pick<TicketEvent, 'field'>>;
