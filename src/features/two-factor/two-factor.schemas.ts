import { Type, type Static } from '@sinclair/typebox';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';

const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
const Code = Type.String({ maxLength: 20 });
const Next = Type.Optional(Type.String({ maxLength: 2000 }));

export const SetupBody = Type.Object({ ...Csrf, sealed: Type.String({ maxLength: 500 }), code: Code }, { additionalProperties: false });
export type SetupBody = Static<typeof SetupBody>;

export const ReplaceBody = Type.Object(
  { ...Csrf, sealed: Type.String({ maxLength: 500 }), code: Code, old_code: Code, current_password: Type.String({ maxLength: MAX_PASSWORD_BYTES }) },
  { additionalProperties: false },
);
export type ReplaceBody = Static<typeof ReplaceBody>;

export const CodeBody = Type.Object({ ...Csrf, code: Code, next: Next }, { additionalProperties: false });
export type CodeBody = Static<typeof CodeBody>;

export const PasswordAndCodeBody = Type.Object(
  { ...Csrf, current_password: Type.String({ maxLength: MAX_PASSWORD_BYTES }), code: Code },
  { additionalProperties: false },
);
export type PasswordAndCodeBody = Static<typeof PasswordAndCodeBody>;

export const ReauthBody = Type.Object(
  { ...Csrf, password: Type.String({ maxLength: MAX_PASSWORD_BYTES }), code: Type.Optional(Code), next: Next },
  { additionalProperties: false },
);
export type ReauthBody = Static<typeof ReauthBody>;

export const NextQuery = Type.Object({ next: Next });
export type NextQuery = Static<typeof NextQuery>;

export const UserIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
export type UserIdParams = Static<typeof UserIdParams>;
