import type { MessageKind, Ticket, User } from '../../db/database.ts';

/**
 * Who may see and do what with tickets, messages and attachments: one place, called by every ticket route.
 * A client may only ever reach its own tickets; everything else about another client's ticket is a 404.
 */
export const isStaff = (user: User): boolean => user.role === 'agent' || user.role === 'administrator';

export const ticketPolicy = {
  view: (user: User, ticket: Pick<Ticket, 'client_id'>) => isStaff(user) || ticket.client_id === user.id,
  reply: (user: User, ticket: Pick<Ticket, 'client_id'>) => ticketPolicy.view(user, ticket),
  resolve: (user: User, ticket: Pick<Ticket, 'client_id'>) => ticketPolicy.view(user, ticket),
  addNote: (user: User) => isStaff(user),
  manage: (user: User) => isStaff(user),
  openForOthers: (user: User) => isStaff(user),
  delete: (user: User) => user.role === 'administrator',
  /** Internal notes never reach clients: not in pages, emails, counts or search. */
  seeMessage: (user: User, kind: MessageKind) => kind !== 'note' || isStaff(user),
  /** Clients see status and priority changes; assignment is staff business. */
  seeEvent: (user: User, field: string) => isStaff(user) || field === 'status' || field === 'priority',
};
