import { Type, type Static } from '@sinclair/typebox';
import { PRIORITIES, TICKET_STATUSES } from '../../db/database.ts';
import { EmailAddress, Form, Id, Line, Multiline, OneOf } from '../../http/schemas.ts';

export const SUBJECT_MAX = 200;
export const MESSAGE_MAX = 20_000;
const CATEGORY_MAX = 100;
export const PAGE_SIZE = 25;
export const MAX_PAGE = 100_000;

/** File inputs: their names arrive as the field's value; the bytes are in request.uploads. */
const Files = Type.Optional(
  Type.Union([Type.String({ maxLength: 300 }), Type.Array(Type.String({ maxLength: 300 }), { maxItems: 20 })]),
);

// The titles are the plural nouns of the messages users see: "Subjects can have up to 200 characters (this one has 201)."
const Subject = Line({
  title: 'Subjects',
  minLength: 1,
  maxLength: SUBJECT_MAX,
  messages: { required: 'Write a subject.' },
});
const Message = Multiline({
  title: 'Messages',
  minLength: 1,
  maxLength: MESSAGE_MAX,
  messages: { required: 'Write a message.' },
});
const PriorityChoice = OneOf(PRIORITIES, {
  title: 'Priority',
  messages: { choice: 'Choose a priority from the list.' },
});

export const TicketIdParams = Type.Object({ id: Id() });
export type TicketIdParams = Static<typeof TicketIdParams>;

export const AttachmentParams = Type.Object({ id: Id(), attachmentId: Id() });
export type AttachmentParams = Static<typeof AttachmentParams>;

/** The new-ticket form; the categories are the configured ones (TICKET_CATEGORIES), or none. */
export function newTicketForm(categories: readonly string[]) {
  return Form({
    subject: Subject,
    message: Message,
    category: Type.Optional(
      OneOf(['', ...categories], { title: 'Category', messages: { choice: 'Choose a category from the list.' } }),
    ),
    priority: Type.Optional(PriorityChoice),
    /** Staff only: the client the ticket is opened for. */
    client_email: Type.Optional(EmailAddress({ title: 'Client’s email' })),
    attachments: Files,
  });
}
export type NewTicketForm = Static<ReturnType<typeof newTicketForm>>;

/**
 * A reply to the other side. `then=resolve` is staff's "Send and resolve" button (the service ignores it from a
 * client, whose form has no such button).
 */
export const ReplyForm = Form({
  message: Message,
  attachments: Files,
  then: Type.Optional(OneOf(['', 'resolve'], { title: 'Action' })),
  /**
   * The internal-note checkbox of an older page (a tab left open across an upgrade): refused, so a note meant for
   * staff is never sent to the client as a reply.
   */
  internal: Type.Optional(
    OneOf([''], {
      title: 'Internal note',
      messages: {
        choice: 'Nothing was sent: internal notes have their own tab now. Your text is kept under “Internal note”.',
      },
    }),
  ),
});
export type ReplyForm = Static<typeof ReplyForm>;

/** An internal note: its own form and route (POST /tickets/:id/notes), staff only, never a checkbox on a reply. */
export const NoteForm = Form({
  message: Message,
  attachments: Files,
});
export type NoteForm = Static<typeof NoteForm>;

/**
 * The staff's properties form. Which assignees and categories are allowed depends on the staff list and the ticket
 * (a retired category may stay), so the service checks those.
 */
export const PropertiesForm = Form({
  assignee: Type.Optional(
    Line({
      title: 'Assignee',
      maxLength: 10,
      pattern: '^[0-9]*$',
      messages: { pattern: 'Tickets can only be assigned to active agents and administrators.' },
    }),
  ),
  priority: Type.Optional(PriorityChoice),
  category: Type.Optional(Type.String({ title: 'Category', maxLength: CATEGORY_MAX })),
});
export type PropertiesForm = Static<typeof PropertiesForm>;

/** A one-button form: the CSRF token and nothing else. */
export const ButtonForm = Form({});

const Status = OneOf(TICKET_STATUSES);
const Priority = OneOf(PRIORITIES);

/** Filters live in the URL, so a view can be bookmarked. Unknown values are a 400, not silently ignored. */
export const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(Type.Union([Status, Type.Literal('open'), Type.Literal('all'), Type.Literal('')])),
    priority: Type.Optional(Type.Union([Priority, Type.Literal('')])),
    category: Type.Optional(Type.String({ maxLength: CATEGORY_MAX })),
    assignee: Type.Optional(Type.String({ maxLength: 12, pattern: '^(|me|none|[0-9]{1,10})$' })),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export function formatTicketNumber(id: number): string {
  return `#${String(id).padStart(6, '0')}`;
}
