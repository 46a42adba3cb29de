import type { FastifyInstance } from 'fastify';
import { serviceDeps } from '../../app-deps.ts';
import type { TicketDeps } from './ticket.service.ts';

/** The ticket service's collaborators and settings, taken from the app once. */
export function ticketDeps(app: FastifyInstance): TicketDeps {
  const { env, ticketCategories } = app.config;
  return {
    ...serviceDeps(app),
    settings: {
      categories: ticketCategories,
      maxFiles: env.ATTACHMENT_MAX_FILES,
      maxBytes: env.ATTACHMENT_MAX_BYTES,
      storageQuotaBytes: env.ATTACHMENT_QUOTA_BYTES,
      ticketsPerHour: env.TICKETS_PER_HOUR,
      messagesPerHour: env.MESSAGES_PER_HOUR,
      staffNotificationsPerHour: env.STAFF_NOTIFICATIONS_PER_HOUR,
    },
  };
}
