import { Type, type Static } from '@sinclair/typebox';
import { Form, Id } from '../../http/schemas.ts';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';

/** A TOTP code (6 digits) or a recovery code (10 letters and digits, any dashes and spaces): at most 20 characters. */
const Code = Type.String({ title: 'Code', maxLength: 20, pattern: '^[0-9A-Za-z\\s-]*$' });
/** The code from a new authenticator: 6 digits, spaces allowed as apps show them ("123 456"). */
const NewCode = Type.String({ title: 'Code', maxLength: 20, pattern: '^[0-9\\s]*$' });
const Password = Type.String({ title: 'Current password', maxLength: MAX_PASSWORD_BYTES });
/** The sealed enrolment (see sealEnrolment): base64url text. */
const Sealed = Type.String({ maxLength: 500, pattern: '^[A-Za-z0-9_.=+/-]*$' });
const Next = Type.Optional(Type.String({ maxLength: 2000 }));

export const SetupBody = Form({ sealed: Sealed, code: NewCode, next: Next });
export type SetupBody = Static<typeof SetupBody>;

export const ReplaceBody = Form({ sealed: Sealed, code: NewCode, old_code: Code, current_password: Password });
export type ReplaceBody = Static<typeof ReplaceBody>;

export const CodeBody = Form({ code: Code, next: Next });
export type CodeBody = Static<typeof CodeBody>;

export const PasswordAndCodeBody = Form({ current_password: Password, code: Code });
export type PasswordAndCodeBody = Static<typeof PasswordAndCodeBody>;

export const ReauthBody = Form({
  password: Type.String({ title: 'Password', maxLength: MAX_PASSWORD_BYTES }),
  code: Type.Optional(Code),
  next: Next,
});
export type ReauthBody = Static<typeof ReauthBody>;

export const NextQuery = Type.Object({ next: Next });
export type NextQuery = Static<typeof NextQuery>;

export const UserIdParams = Type.Object({ id: Id() });
export type UserIdParams = Static<typeof UserIdParams>;
