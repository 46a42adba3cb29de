import { Type, type Static } from '@sinclair/typebox';
import { Checkbox, EmailAddress, Form, OneOf } from '../../http/schemas.ts';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';
import { TIME_ZONE_MAX_LENGTH } from '../../lib/time.ts';

/** Passwords are limited in bytes (checked by the password policy); the schema bounds the characters. */
const Password = (title: string) => Type.String({ title, maxLength: MAX_PASSWORD_BYTES });
const Email = EmailAddress({ title: 'Email' });
/** A single-use token from an emailed link: 43 base64url characters (anything else is an invalid link). */
const Token = Type.String({ maxLength: 100 });

export const RegisterBody = Form({
  email: Email,
  password: Password('Password'),
  password_confirm: Password('Confirm password'),
});
export type RegisterBody = Static<typeof RegisterBody>;

export const TokenQuery = Type.Object({ token: Type.Optional(Token) });
export type TokenQuery = Static<typeof TokenQuery>;

export const TokenBody = Form({ token: Token });
export type TokenBody = Static<typeof TokenBody>;

export const ForgotBody = Form({ email: Email });
export type ForgotBody = Static<typeof ForgotBody>;

export const ResetBody = Form({
  token: Token,
  password: Password('New password'),
  password_confirm: Password('Confirm new password'),
});
export type ResetBody = Static<typeof ResetBody>;

export const ChangePasswordBody = Form({
  current_password: Password('Current password'),
  password: Password('New password'),
  password_confirm: Password('Confirm new password'),
});
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const ChangeEmailBody = Form({
  email: EmailAddress({ title: 'New email address' }),
  current_password: Password('Current password'),
});
export type ChangeEmailBody = Static<typeof ChangeEmailBody>;

export const SessionParams = Type.Object({ ref: Type.String({ pattern: '^[A-Za-z0-9_-]{22}$' }) });
export type SessionParams = Static<typeof SessionParams>;

export const NotificationsBody = Form({ notify_tickets: OneOf(['0', '1'] as const) });
export type NotificationsBody = Static<typeof NotificationsBody>;

/** The account page's time zone select, or app.js's one-time report of the browser's zone (detected=1). */
export const TimeZoneBody = Form({
  time_zone: Type.String({ title: 'Time zone', maxLength: TIME_ZONE_MAX_LENGTH }),
  detected: Checkbox(),
});
export type TimeZoneBody = Static<typeof TimeZoneBody>;

/** A body with only the CSRF token: one-button forms. */
export const CsrfOnlyBody = Form({});

const EMAIL_PATTERN =
  /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * Top-level domains that can never receive mail (RFC 6761): `.invalid` (the deleted-user placeholder lives there) and
 * `.localhost`. `.test` and `.example` stay allowed: test installations and demos use them on purpose.
 */
export const RESERVED_EMAIL_TLDS = ['invalid', 'localhost'] as const;

/**
 * A pragmatic address check: one @, a plausible local part, a dotted domain outside the reserved top-level domains.
 * The one check behind registration, invitations, administrator edits and email changes. The verification link is
 * the real test.
 */
export function isValidEmail(email: string): boolean {
  if (email.length > 254 || !EMAIL_PATTERN.test(email)) {
    return false;
  }
  const tld = email.slice(email.lastIndexOf('.') + 1).toLowerCase();
  return !(RESERVED_EMAIL_TLDS as readonly string[]).includes(tld);
}
