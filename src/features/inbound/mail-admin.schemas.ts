import { Type, type Static } from '@sinclair/typebox';
import { Form, Id } from '../../http/schemas.ts';

export const MailPageQuery = Type.Object(
  { page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) },
  { additionalProperties: false },
);
export type MailPageQuery = Static<typeof MailPageQuery>;

export const InboxIdParams = Type.Object({ id: Id() });

/** A one-button action: the CSRF field only. */
export const MailActionBody = Form({});

/** The address of an undeliverable_addresses row (as long as the column). */
export const ClearUndeliverableBody = Form({ address: Type.String({ minLength: 3, maxLength: 320 }) });
