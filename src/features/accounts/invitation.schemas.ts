import { Type, type Static } from '@sinclair/typebox';
import { Form } from '../../http/schemas.ts';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';

export const InvitationBody = Form({
  token: Type.String({ maxLength: 100 }),
  password: Type.String({ maxLength: MAX_PASSWORD_BYTES }),
  password_confirm: Type.String({ maxLength: MAX_PASSWORD_BYTES }),
});
export type InvitationBody = Static<typeof InvitationBody>;
