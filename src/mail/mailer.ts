import type { DB } from '../db/database.ts';
import type { MailDraft } from './layout.tsx';

/** What a service may do with mail: queue it in the caller's transaction, wake the worker after commit, make links. */
export interface Mailer {
  /**
   * Queues an email in the caller's transaction (pass the trx). Call `deliverSoon()` after commit. Ticket mail (with
   * `ticketId`) is threaded under its ticket and sent from SUPPORT_ADDRESS when that is set. The draft is written
   * here, in the portal's brand (PORTAL_NAME, PORTAL_ACCENT, PORTAL_LOGO).
   */
  enqueue(db: DB, to: string, mail: MailDraft): Promise<void>;
  /** Wakes this process's worker so queued mail goes out now rather than at the next poll. */
  deliverSoon(): void;
  /** An absolute link under APP_URL, for emails. */
  link(path: string, params?: Record<string, string>): string;
  /** How ticket emails are written (from the configuration). */
  readonly ticketMail: TicketMailStyle;
}

export interface TicketMailStyle {
  /** MAIL_INCLUDE_CONTENT: notifications quote the message; false makes them link-only. */
  includeContent: boolean;
  /** Inbound mail is configured: a reply to a ticket email is added to the ticket. */
  repliesByEmail: boolean;
}
