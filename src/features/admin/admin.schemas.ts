import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../../db/database.ts';

const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
const Page = Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 }));
const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));

export const UserIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
export type UserIdParams = Static<typeof UserIdParams>;

export const UsersQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 254 })),
    role: Type.Optional(Type.Union([Role, Type.Literal('')])),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled'), Type.Literal('unverified'), Type.Literal('')])),
    page: Page,
  },
  { additionalProperties: false },
);
export type UsersQuery = Static<typeof UsersQuery>;

export const CreateUserBody = Type.Object(
  { ...Csrf, email: Type.String({ maxLength: 254 }), name: Type.Optional(Type.String({ maxLength: 200 })), role: Type.String({ maxLength: 20 }) },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = CreateUserBody;
export type UpdateUserBody = CreateUserBody;

export const DeleteUserBody = Type.Object({ ...Csrf, tickets: Type.Union([Type.Literal('keep'), Type.Literal('delete')]) }, { additionalProperties: false });
export type DeleteUserBody = Static<typeof DeleteUserBody>;

export const CsrfBody = Type.Object({ ...Csrf }, { additionalProperties: false });

export const FailedLoginsQuery = Type.Object({ page: Page }, { additionalProperties: false });
export type FailedLoginsQuery = Static<typeof FailedLoginsQuery>;

export const UnlockBody = Type.Object({ ...Csrf, ip: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9a-fA-F.:]+$' }) }, { additionalProperties: false });
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
