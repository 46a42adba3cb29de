import type { Generated, Insertable, Kysely, Selectable } from 'kysely';

/** Timestamps are epoch milliseconds (integer in SQLite, bigint in PostgreSQL, parsed back to number). */
export type Millis = number;

export const ROLES = ['client', 'agent', 'administrator'] as const;
export type Role = (typeof ROLES)[number];

export interface UsersTable {
  id: Generated<number>;
  email: string;
  name: string;
  password_hash: string;
  role: Role;
  email_verified_at: Millis | null;
  disabled_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
  last_login_at: Millis | null;
  /** The TOTP secret, AES-256-GCM encrypted with a key derived from SECRET_KEY. */
  totp_secret_enc: string | null;
  totp_enabled_at: Millis | null;
  /** The last 30-second step a code was accepted for: a code is never accepted twice (replay guard). */
  totp_last_step: number | null;
  /** Ticket notification emails: 1 on, 0 off (an integer, as SQLite has no boolean). */
  notify_tickets: Generated<number>;
  /** 1 only for the anonymous placeholder that keeps deleted users' tickets (at most one row); never by address. */
  is_placeholder: Generated<number>;
  /** The IANA time zone pages and emails show this user's times in; null: the browser's (cookie), else UTC. */
  time_zone: string | null;
}

/**
 * How far a sign-in got: 'full' once every step is done; the others reach only their one page (see PENDING_STAGES
 * in plugins/access.ts): the email is not yet verified, the TOTP code is next, or a second factor must be set up.
 */
export const SESSION_STAGES = ['full', 'unverified', 'mfa', 'mfa_enrol'] as const;
export type SessionStage = (typeof SESSION_STAGES)[number];

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie token; the token itself is never stored. */
  id: string;
  user_id: number;
  /** 'full' once every login step is done; before that 'unverified', 'mfa' or 'mfa_enrol' (see plugins/access.ts). */
  stage: SessionStage;
  created_at: Millis;
  last_seen_at: Millis;
  /** When the user last proved who they are (password, and the code when 2FA is on): for re-authentication. */
  authenticated_at: Millis;
  expires_at: Millis;
  ip: string;
  user_agent: string;
}

export interface FailedLoginsTable {
  id: Generated<number>;
  ip: string;
  email: string;
  user_id: number | null;
  reason: string;
  created_at: Millis;
}

export interface AuditEventsTable {
  id: Generated<number>;
  created_at: Millis;
  event: string;
  actor_user_id: number | null;
  target_user_id: number | null;
  ip: string | null;
  user_agent: string | null;
  /** JSON object; never a password, token, code or secret. */
  details: string;
}

export type TokenPurpose = 'verify_email' | 'reset_password' | 'change_email' | 'invite' | 'unlock';

/** Single-use emailed tokens; only the SHA-256 of the token is stored. */
export interface UserTokensTable {
  id: Generated<number>;
  user_id: number;
  purpose: TokenPurpose;
  token_hash: string;
  /** The address being verified, for change_email. */
  new_email: string | null;
  /**
   * The account's address the token was issued for: the address it was mailed to (change_email: the address
   * being replaced; the link goes to new_email). The token works only while the account still has it.
   */
  account_email: string | null;
  created_at: Millis;
  expires_at: Millis;
  used_at: Millis | null;
}

/** discarded: never sent because MAIL_TRANSPORT=disabled (bodies blanked). */
export type MailStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'discarded';

/** The durable outbox: written in the transaction that causes the email, delivered by the worker. */
export interface MailOutboxTable {
  id: Generated<number>;
  kind: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  message_id: string;
  status: MailStatus;
  attempts: Generated<number>;
  next_attempt_at: Millis;
  locked_until: Millis | null;
  last_error: string | null;
  created_at: Millis;
  sent_at: Millis | null;
  /** The ticket this email is about, so an answer quoting its Message-ID finds the ticket. */
  ticket_id: number | null;
  /** JSON object of extra headers (In-Reply-To, References, Reply-To, Auto-Submitted), or null. */
  headers: string | null;
}

export interface RateLimitsTable {
  key: string;
  points: number;
  expire: Millis | null;
}

export interface RecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  /** HMAC-SHA256 of the code under SECRET_KEY. */
  code_hash: string;
  created_at: Millis;
  used_at: Millis | null;
}

export const TICKET_STATUSES = ['awaiting_staff', 'awaiting_client', 'resolved'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface TicketsTable {
  id: Generated<number>;
  client_id: number;
  created_by: number | null;
  assignee_id: number | null;
  subject: string;
  status: TicketStatus;
  priority: Priority;
  category: string | null;
  /** Client-visible messages, kept in step on insert so lists need no count per row. */
  message_count: Generated<number>;
  created_at: Millis;
  /** Last activity staff see: messages, notes and events. */
  updated_at: Millis;
  /** Last activity the client sees (messages and events, not internal notes): the client's list shows and sorts by it. */
  client_updated_at: Millis;
  resolved_at: Millis | null;
}

export type MessageKind = 'message' | 'note' | 'event';

export interface TicketMessagesTable {
  id: Generated<number>;
  ticket_id: number;
  author_id: number | null;
  /** message: seen by the client; note: staff only; event: status/assignee/priority changes. */
  kind: MessageKind;
  body: string;
  created_at: Millis;
  /** The mail_inbox row this message came from by email (staff can open the original), or null. */
  inbox_id: number | null;
  /** PostgreSQL only: the ticket's client, copied so that the search index knows who may find the message. */
  client_id?: number;
}

export interface AttachmentsTable {
  id: Generated<number>;
  ticket_id: number;
  message_id: number;
  file_name: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: Millis;
}

export interface AttachmentBlobsTable {
  attachment_id: number;
  data: Buffer;
}

/** Contentless FTS5: rows are matched, never read back. rowid: the message id, or minus the ticket id for its subject. */
export interface TicketFtsTable {
  rowid: number;
  text: string;
  /** 'c' and the client id on rows that client may find (subjects, messages); empty on internal notes. */
  owner: string;
}

export interface LoginThrottlesTable {
  /** SHA-256 of the normalised email that was tried (or of a trusted device's user and id). */
  key: string;
  failures: number;
  last_failure_at: Millis;
  locked_until: Millis;
}

export interface UserQuotasTable {
  user_id: number;
  /** Bytes of attachments the user has stored; counts what the user's row was created with, then every upload and deletion. */
  attachment_bytes: Generated<number>;
}

export const INBOX_SOURCES = ['mailgun', 'imap'] as const;
export type InboxSource = (typeof INBOX_SOURCES)[number];
/**
 * pending: waiting for the worker (or a retry); processing: claimed under a lease; applied: added to a ticket or opened
 * one; held: waiting for staff (or for an unknown sender to confirm their address); ignored: never answered and never
 * added (auto-replies, bounces, lists, our own mail); rejected: refused by staff or by INBOUND_UNKNOWN_SENDERS=reject;
 * failed: could not be parsed or applied after every retry, kept for administrators.
 */
export const INBOX_STATUSES = ['pending', 'processing', 'applied', 'held', 'ignored', 'rejected', 'failed'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

/** Every inbound email, raw, stored before it is parsed: nothing received is lost or applied twice. */
export interface MailInboxTable {
  id: Generated<number>;
  source: InboxSource;
  /** The source's own id for the delivery (Mailgun's token, or IMAP's UIDVALIDITY:UID): unique with `source`. */
  source_id: string;
  /** The Message-ID without angle brackets, or `sha256:<hex>` of the raw message when it has none. Unique. */
  message_id: string;
  raw: Buffer;
  /** JSON of what the source told us beside the message (Mailgun: envelope sender, recipient, SPF and DKIM verdicts). */
  envelope: string | null;
  status: InboxStatus;
  /** What was done, in a word (reply, new_ticket, auto_reply, bounce, unknown_sender, ...). */
  outcome: string | null;
  /** Why it is held, ignored, rejected or failed, in words for staff. */
  reason: string | null;
  attempts: Generated<number>;
  next_attempt_at: Millis;
  locked_until: Millis | null;
  last_error: string | null;
  from_address: string | null;
  from_name: string | null;
  subject: string | null;
  ticket_id: number | null;
  entry_id: number | null;
  sender_user_id: number | null;
  decided_by: number | null;
  decided_at: Millis | null;
  received_at: Millis;
  processed_at: Millis | null;
}

export interface InboundSourcesTable {
  name: InboxSource;
  lease_owner: string | null;
  lease_until: Millis | null;
  last_poll_at: Millis | null;
  last_success_at: Millis | null;
  last_error: string | null;
  last_error_at: Millis | null;
  received_count: Generated<number>;
}

export interface WebhookReplaysTable {
  key: string;
  expires_at: Millis;
}

export interface UndeliverableAddressesTable {
  address: string;
  reason: string;
  source: string;
  bounces: Generated<number>;
  first_at: Millis;
  last_at: Millis;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  failed_logins: FailedLoginsTable;
  audit_events: AuditEventsTable;
  user_tokens: UserTokensTable;
  mail_outbox: MailOutboxTable;
  rate_limits: RateLimitsTable;
  recovery_codes: RecoveryCodesTable;
  tickets: TicketsTable;
  ticket_messages: TicketMessagesTable;
  attachments: AttachmentsTable;
  attachment_blobs: AttachmentBlobsTable;
  /** SQLite only (FTS5); PostgreSQL searches generated tsvector columns instead. */
  ticket_fts: TicketFtsTable;
  login_throttles: LoginThrottlesTable;
  user_quotas: UserQuotasTable;
  mail_inbox: MailInboxTable;
  inbound_sources: InboundSourcesTable;
  webhook_replays: WebhookReplaysTable;
  undeliverable_addresses: UndeliverableAddressesTable;
}

export type DB = Kysely<Database>;
/** A users row as stored: the two flags are integers (SQLite has no boolean). Only repositories see it. */
export type UserRow = Selectable<UsersTable>;
/** A user as the app sees it: the row with its integer flags as booleans (`toUser` maps at the repository edge). */
export type User = Omit<UserRow, 'notify_tickets' | 'is_placeholder'> & {
  notify_tickets: boolean;
  is_placeholder: boolean;
};
export type NewUser = Insertable<UsersTable>;
export type Session = Selectable<SessionsTable>;

/** The repository edge for users: here rather than in features/users so that plugins (sessions) can use it too. */
export function toUser(row: UserRow): User {
  return { ...row, notify_tickets: Number(row.notify_tickets) === 1, is_placeholder: Number(row.is_placeholder) === 1 };
}
export type UserToken = Selectable<UserTokensTable>;
export type OutboxMail = Selectable<MailOutboxTable>;
export type Ticket = Selectable<TicketsTable>;
export type Attachment = Selectable<AttachmentsTable>;
export type InboxMessage = Selectable<MailInboxTable>;
