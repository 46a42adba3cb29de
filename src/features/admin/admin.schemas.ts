import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../../db/database.ts';
import { EmailAddress, Form, Id, Line, OneOf } from '../../http/schemas.ts';

const Page = Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 }));

/** The longest name an account can have (the forms' maxlength). */
export const NAME_MAX = 200;
const EMAIL_MESSAGE = 'Enter an email address like name@example.com.';
const ROLE_MESSAGE = 'Choose a role from the list.';

export const UserIdParams = Type.Object({ id: Id() });
export type UserIdParams = Static<typeof UserIdParams>;

export const UsersQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 254 })),
    role: Type.Optional(OneOf(['', ...ROLES])),
    status: Type.Optional(OneOf(['active', 'disabled', 'unverified', ''])),
    page: Page,
  },
  { additionalProperties: false },
);
export type UsersQuery = Static<typeof UsersQuery>;

/**
 * Creating and editing an account: the route's body schema (checked by parseForm, which re-renders the form with
 * the messages) with the address cleaned as everywhere (trimmed, lower-cased).
 */
export const UserForm = Form({
  email: EmailAddress({ title: 'Email', messages: { required: EMAIL_MESSAGE, maxLength: EMAIL_MESSAGE } }),
  name: Type.Optional(Line({ title: 'Name', maxLength: NAME_MAX })),
  role: OneOf(ROLES, { title: 'Role', messages: { required: ROLE_MESSAGE, choice: ROLE_MESSAGE } }),
});
export type UserForm = Static<typeof UserForm>;
export { EMAIL_MESSAGE as INVALID_EMAIL_MESSAGE };

export const DeleteUserBody = Form({ tickets: OneOf(['keep', 'delete']) });
export type DeleteUserBody = Static<typeof DeleteUserBody>;

export const CsrfBody = Form({});

export const FailedLoginsQuery = Type.Object({ page: Page }, { additionalProperties: false });
export type FailedLoginsQuery = Static<typeof FailedLoginsQuery>;

export const UnlockBody = Form({ ip: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9a-fA-F.:]+$' }) });
export type UnlockBody = Static<typeof UnlockBody>;

const Day = Type.Optional(Type.Union([Type.Literal(''), Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })]));
export const AuditQuery = Type.Object(
  {
    event: Type.Optional(Type.String({ maxLength: 60, pattern: '^[a-z0-9_.]*$' })),
    user: Type.Optional(Type.String({ maxLength: 254 })),
    ip: Type.Optional(Type.String({ maxLength: 64, pattern: '^[0-9a-fA-F.:]*$' })),
    from: Day,
    to: Day,
    page: Page,
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;
