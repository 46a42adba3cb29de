import type { Attachment, Priority, Ticket, TicketStatus, User } from '../../db/database.ts';
import { PRIORITIES, TICKET_STATUSES } from '../../db/database.ts';
import type { SelectOption } from '../../views/components/select.tsx';
import { renderMarkdown, type RenderedMarkdown } from '../../views/markdown.ts';
import { eventPolicy, isStaff, ticketPolicy } from './ticket.policy.ts';
import type { ThreadEntry, TicketEvent, TicketListRow } from './ticket.repository.ts';
import { formatTicketNumber, PAGE_SIZE } from './ticket.schemas.ts';
import type { ReplyState, TicketPageData } from './ticket.service.ts';

export const STATUS_LABEL: Record<TicketStatus, string> = {
  awaiting_staff: 'Awaiting staff reply',
  awaiting_client: 'Awaiting client reply',
  resolved: 'Resolved',
};
export const PRIORITY_LABEL: Record<Priority, string> = {
  low: 'Low',
  normal: 'Normal',
  high: 'High',
  urgent: 'Urgent',
};

export const STATUS_OPTIONS: SelectOption[] = TICKET_STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s] }));
export const PRIORITY_OPTIONS: SelectOption[] = PRIORITIES.map((p) => ({ value: p, label: PRIORITY_LABEL[p] }));

type Person = { email: string | null; name: string | null };
type StaffMember = Pick<User, 'id' | 'email' | 'name'>;

/** A staff member as others see them: the name, else the email. */
const staffLabel = (s: Person) => (s.name ? s.name : (s.email ?? 'Former staff member'));

export const staffOptions = (staffMembers: StaffMember[]): SelectOption[] =>
  staffMembers.map((m) => ({ value: String(m.id), label: staffLabel(m) }));
export const categoryOptions = (categories: string[]): SelectOption[] =>
  categories.map((c) => ({ value: c, label: c }));

export interface TicketRowView {
  id: number;
  href: string;
  number: string;
  subject: string;
  status: TicketStatus;
  priority: Priority;
  client: string;
  /** Null: unassigned. */
  assignee: string | null;
  updatedAt: number;
}

export function presentTicketRow(row: TicketListRow): TicketRowView {
  return {
    id: row.id,
    href: `/tickets/${row.id}`,
    number: formatTicketNumber(row.id),
    subject: row.subject,
    status: row.status,
    priority: row.priority,
    client: row.client_email ?? 'Deleted user',
    assignee: row.assignee_email ? staffLabel({ email: row.assignee_email, name: row.assignee_name }) : null,
    updatedAt: row.updated_at,
  };
}

/** The sentence over the list: how many tickets, or why there are none. */
export function listSummary(list: {
  total: number;
  capped: boolean;
  page: number;
  filtered: boolean;
  staff: boolean;
}): string {
  if (list.total === 0) {
    if (list.page > 1) {
      return 'There are no tickets on this page: it is past the last one.';
    }
    if (list.filtered) {
      return 'No tickets match these filters.';
    }
    return list.staff ? 'There are no tickets yet.' : 'You have no tickets yet. Open one when you need help.';
  }
  const count = list.capped ? `More than ${list.total.toLocaleString('en')}` : list.total.toLocaleString('en');
  return `${count} ticket${list.total === 1 ? '' : 's'}, newest activity first.`;
}

/** "Page 2 of 5", or "of 40+" when the count stopped at its cap. */
export function pageLabel(list: { total: number; capped: boolean; page: number }): { label: string; hasNext: boolean } {
  const pages = Math.max(1, Math.ceil(list.total / PAGE_SIZE));
  return { label: `Page ${list.page} of ${list.capped ? `${pages}+` : pages}`, hasNext: list.page < pages };
}

function eventValue(field: TicketEvent['field'], v: string | null): string {
  if (v === null) {
    return field === 'assignee' ? 'nobody' : 'none';
  }
  if (field === 'status') {
    return STATUS_LABEL[v as TicketStatus] ?? v;
  }
  if (field === 'priority') {
    return PRIORITY_LABEL[v as Priority] ?? v;
  }
  return v;
}

const FIELD_LABEL: Record<TicketEvent['field'], string> = {
  status: 'Status',
  assignee: 'Assignee',
  priority: 'Priority',
  category: 'Category',
};

/** An event in words; clients see where the status went, not where it came from. */
function describeEvent(event: TicketEvent, clientView: boolean): string {
  if (clientView && event.field === 'status') {
    return `Status changed to ${eventValue('status', event.to)}`;
  }
  return `${FIELD_LABEL[event.field]} changed from ${eventValue(event.field, event.from)} to ${eventValue(event.field, event.to)}`;
}

function parseEvent(body: string): TicketEvent | null {
  try {
    const parsed = JSON.parse(body) as TicketEvent;
    return typeof parsed.field === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

/** Who wrote an entry, as the viewer may know them: clients see staff as "Support". */
function authorOf(
  entry: ThreadEntry,
  viewerIsStaff: boolean,
  viewerId: number,
): { name: string; badge: string | null } {
  if (entry.author_id === null) {
    return { name: 'Deleted user', badge: null };
  }
  const staffAuthor = entry.author_role === 'agent' || entry.author_role === 'administrator';
  if (staffAuthor) {
    return viewerIsStaff
      ? { name: entry.author_name || entry.author_email || 'Staff', badge: 'Staff' }
      : { name: 'Support', badge: 'Support' };
  }
  return {
    name: entry.author_id === viewerId ? 'You' : entry.author_name || entry.author_email || 'Client',
    badge: viewerIsStaff ? 'Client' : null,
  };
}

function formatSize(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(0)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export interface AttachmentView {
  id: number;
  href: string;
  name: string;
  size: string;
  /** An image the browser can show (png, jpeg, gif, webp): shown as a thumbnail from the same access-checked route. */
  image: boolean;
}

/** The types uploads accept as images (attachments.ts sets content_type from the checked extension and magic bytes). */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

const presentAttachment = (ticketId: number, f: Attachment): AttachmentView => ({
  id: f.id,
  href: `/tickets/${ticketId}/attachments/${f.id}`,
  name: f.file_name,
  size: formatSize(f.size),
  image: IMAGE_TYPES.has(f.content_type),
});

export type ThreadItemView =
  | { type: 'event'; id: number; text: string; at: number }
  | {
      type: 'message';
      id: number;
      note: boolean;
      /** Written by staff (styled as such). */
      fromStaff: boolean;
      author: string;
      /** Shown beside the name unless it would repeat it (a client sees staff as "Support"). */
      badge: string | null;
      body: string;
      /** The body rendered once as Markdown (src/views/markdown.ts). */
      bodyHtml: RenderedMarkdown;
      at: number;
      attachments: AttachmentView[];
      /** Staff only: the page of the email this message came from, or null. */
      originalHref: string | null;
    };

/** The thread as the viewer may see it: events in words (only those the policy shows them), messages with their authors. */
function presentThread(ticketId: number, entries: ThreadEntry[], viewer: User): ThreadItemView[] {
  const staff = isStaff(viewer);
  const items: ThreadItemView[] = [];
  for (const entry of entries) {
    if (entry.kind === 'event') {
      const event = parseEvent(entry.body);
      if (event && eventPolicy.see(viewer, event)) {
        items.push({ type: 'event', id: entry.id, text: describeEvent(event, !staff), at: entry.created_at });
      }
      continue;
    }
    const author = authorOf(entry, staff, viewer.id);
    items.push({
      type: 'message',
      id: entry.id,
      note: entry.kind === 'note',
      fromStaff: author.badge === 'Support' || author.badge === 'Staff',
      author: author.name,
      badge: author.badge && author.badge !== author.name ? author.badge : null,
      body: entry.body,
      bodyHtml: renderMarkdown(entry.body),
      at: entry.created_at,
      attachments: entry.attachments.map((f) => presentAttachment(ticketId, f)),
      originalHref: staff && entry.inbox_id !== null ? `/admin/mail/${entry.inbox_id}` : null,
    });
  }
  return items;
}

export interface TicketPageView {
  ticket: Pick<Ticket, 'id' | 'subject' | 'status' | 'priority' | 'category' | 'created_at'>;
  number: string;
  /** Shown to staff only: the client's email and the assignee. */
  staffDetails: { client: string; assignee: string } | null;
  thread: ThreadItemView[];
  olderHidden: boolean;
  /** Who wrote the newest message the viewer sees (notes aside), and when; null before any. */
  lastReply: { author: string; at: number } | null;
  /** Awaiting staff: since when the client has waited (their oldest message after the last staff answer). */
  waitingSince: number | null;
  reply: ReplyState;
  can: { resolve: boolean; addNote: boolean; manage: boolean; delete: boolean };
  /** For staff, the resolve card's text differs. */
  staffViewer: boolean;
  manage: { assignee: string; assigneeOptions: SelectOption[]; categoryOptions: SelectOption[] } | null;
  /** Staff only: the client's other tickets, most recent first (null for clients). */
  otherTickets: OtherTicketView[] | null;
}

export interface OtherTicketView {
  id: number;
  href: string;
  number: string;
  subject: string;
  status: TicketStatus;
}

/** The thread's header line: the last reply, and how long the client has waited while the ticket awaits staff. */
function presentActivity(ticket: Ticket, thread: ThreadItemView[]): Pick<TicketPageView, 'lastReply' | 'waitingSince'> {
  const messages = thread.filter(
    (i): i is Extract<ThreadItemView, { type: 'message' }> => i.type === 'message' && !i.note,
  );
  const last = messages.at(-1);
  let waitingSince: number | null = null;
  if (ticket.status === 'awaiting_staff') {
    waitingSince = last?.at ?? ticket.created_at;
    for (let i = messages.length - 1; i >= 0 && !messages[i]!.fromStaff; i--) {
      waitingSince = messages[i]!.at;
    }
  }
  return { lastReply: last ? { author: last.author, at: last.at } : null, waitingSince };
}

/** Everything the ticket page shows, decided here (the policy's booleans included), so the view only formats. */
export function presentTicketPage(
  ticket: Ticket,
  data: TicketPageData,
  viewer: User,
  categories: string[],
  reply: ReplyState,
): TicketPageView {
  const staff = isStaff(viewer);
  const assignee = data.staffMembers.find((m) => m.id === ticket.assignee_id);
  const canManage = ticketPolicy.manage(viewer, ticket);
  const thread = presentThread(ticket.id, data.thread.entries, viewer);
  return {
    ticket,
    number: formatTicketNumber(ticket.id),
    staffDetails: staff
      ? { client: data.clientEmail ?? 'Deleted user', assignee: assignee ? staffLabel(assignee) : 'Unassigned' }
      : null,
    thread,
    olderHidden: data.thread.hidden > 0,
    ...presentActivity(ticket, thread),
    reply,
    can: {
      resolve: ticket.status !== 'resolved' && ticketPolicy.resolve(viewer, ticket),
      addNote: ticketPolicy.addNote(viewer, ticket),
      manage: canManage,
      delete: ticketPolicy.delete(viewer, ticket),
    },
    staffViewer: staff,
    manage: canManage
      ? {
          assignee: ticket.assignee_id ? String(ticket.assignee_id) : '',
          assigneeOptions: [{ value: '', label: 'Unassigned' }, ...staffOptions(data.staffMembers)],
          // A retired category stays choosable on the tickets that have it.
          categoryOptions: [
            { value: '', label: 'None' },
            ...categoryOptions([...new Set([...categories, ...(ticket.category ? [ticket.category] : [])])]),
          ],
        }
      : null,
    otherTickets: staff
      ? data.otherTickets.map((t) => ({
          id: t.id,
          href: `/tickets/${t.id}`,
          number: formatTicketNumber(t.id),
          subject: t.subject,
          status: t.status,
        }))
      : null,
  };
}
