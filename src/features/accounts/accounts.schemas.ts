import { Type, type Static } from '@sinclair/typebox';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';

const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
const Password = Type.String({ maxLength: MAX_PASSWORD_BYTES });
const Email = Type.String({ maxLength: 254 });
const Token = Type.String({ maxLength: 100 });

export const RegisterBody = Type.Object({ ...Csrf, email: Email, password: Password, password_confirm: Password }, { additionalProperties: false });
export type RegisterBody = Static<typeof RegisterBody>;

export const TokenQuery = Type.Object({ token: Type.Optional(Token) });
export type TokenQuery = Static<typeof TokenQuery>;

export const TokenBody = Type.Object({ ...Csrf, token: Token }, { additionalProperties: false });
export type TokenBody = Static<typeof TokenBody>;

export const ForgotBody = Type.Object({ ...Csrf, email: Email }, { additionalProperties: false });
export type ForgotBody = Static<typeof ForgotBody>;

export const ResetBody = Type.Object({ ...Csrf, token: Token, password: Password, password_confirm: Password }, { additionalProperties: false });
export type ResetBody = Static<typeof ResetBody>;

export const ChangePasswordBody = Type.Object(
  { ...Csrf, current_password: Password, password: Password, password_confirm: Password },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const ChangeEmailBody = Type.Object({ ...Csrf, email: Email, current_password: Password }, { additionalProperties: false });
export type ChangeEmailBody = Static<typeof ChangeEmailBody>;

export const SessionParams = Type.Object({ ref: Type.String({ pattern: '^[A-Za-z0-9_-]{22}$' }) });
export type SessionParams = Static<typeof SessionParams>;

export const NotificationsBody = Type.Object({ ...Csrf, notify_tickets: Type.Union([Type.Literal('0'), Type.Literal('1')]) }, { additionalProperties: false });
export type NotificationsBody = Static<typeof NotificationsBody>;

export const CsrfOnlyBody = Type.Object({ ...Csrf }, { additionalProperties: false });

const EMAIL_PATTERN = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

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
