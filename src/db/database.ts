import type { Generated, Insertable, Kysely, Selectable, Updateable } from 'kysely';

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
}

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie token; the token itself is never stored. */
  id: string;
  user_id: number;
  /** 'full' once every login step is done; later issues add intermediate stages. */
  stage: string;
  created_at: Millis;
  last_seen_at: Millis;
  /** When the user last proved who they are (password, and code once 2FA exists): for re-authentication. */
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

export type TokenPurpose = 'verify_email' | 'reset_password' | 'change_email';

/** Single-use emailed tokens; only the SHA-256 of the token is stored. */
export interface UserTokensTable {
  id: Generated<number>;
  user_id: number;
  purpose: TokenPurpose;
  token_hash: string;
  /** The address being verified, for change_email. */
  new_email: string | null;
  created_at: Millis;
  expires_at: Millis;
  used_at: Millis | null;
}

export type MailStatus = 'pending' | 'sending' | 'sent' | 'failed';

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

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  failed_logins: FailedLoginsTable;
  audit_events: AuditEventsTable;
  user_tokens: UserTokensTable;
  mail_outbox: MailOutboxTable;
  rate_limits: RateLimitsTable;
  recovery_codes: RecoveryCodesTable;
}

export type DB = Kysely<Database>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Session = Selectable<SessionsTable>;
export type UserToken = Selectable<UserTokensTable>;
export type OutboxMail = Selectable<MailOutboxTable>;
