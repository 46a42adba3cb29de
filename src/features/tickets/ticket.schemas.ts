import { Type, type Static } from '@sinclair/typebox';
import { PRIORITIES, TICKET_STATUSES } from '../../db/database.ts';

export const SUBJECT_MAX = 200;
export const MESSAGE_MAX = 20_000;
export const PAGE_SIZE = 25;
export const MAX_PAGE = 100_000;

const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
/** File inputs: their names arrive as the field's value; the bytes are in request.uploads. */
const Files = Type.Optional(Type.Union([Type.String({ maxLength: 300 }), Type.Array(Type.String({ maxLength: 300 }), { maxItems: 20 })]));

export const TicketIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
export type TicketIdParams = Static<typeof TicketIdParams>;

export const AttachmentParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  attachmentId: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
});
export type AttachmentParams = Static<typeof AttachmentParams>;

export const NewTicketBody = Type.Object(
  {
    ...Csrf,
    subject: Type.String({ maxLength: 1000 }),
    message: Type.String({ maxLength: 100_000 }),
    category: Type.Optional(Type.String({ maxLength: 100 })),
    priority: Type.Optional(Type.String({ maxLength: 20 })),
    client_email: Type.Optional(Type.String({ maxLength: 254 })),
    attachments: Files,
  },
  { additionalProperties: false },
);
export type NewTicketBody = Static<typeof NewTicketBody>;

export const ReplyBody = Type.Object(
  { ...Csrf, message: Type.String({ maxLength: 100_000 }), internal: Type.Optional(Type.String({ maxLength: 5 })), attachments: Files },
  { additionalProperties: false },
);
export type ReplyBody = Static<typeof ReplyBody>;

export const PropertiesBody = Type.Object(
  {
    ...Csrf,
    assignee: Type.Optional(Type.String({ maxLength: 12 })),
    priority: Type.Optional(Type.String({ maxLength: 20 })),
    category: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type PropertiesBody = Static<typeof PropertiesBody>;

export const CsrfBody = Type.Object({ ...Csrf }, { additionalProperties: false });

const Status = Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)));
const Priority = Type.Union(PRIORITIES.map((p) => Type.Literal(p)));

/** Filters live in the URL, so a view can be bookmarked. Unknown values are a 400, not silently ignored. */
export const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(Type.Union([Status, Type.Literal('open'), Type.Literal('all'), Type.Literal('')])),
    priority: Type.Optional(Type.Union([Priority, Type.Literal('')])),
    category: Type.Optional(Type.String({ maxLength: 100 })),
    assignee: Type.Optional(Type.String({ maxLength: 12, pattern: '^(|me|none|[0-9]{1,10})$' })),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export function formatTicketNumber(id: number): string {
  return `#${String(id).padStart(6, '0')}`;
}
