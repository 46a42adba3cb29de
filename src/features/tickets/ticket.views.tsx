import type { Attachment, Priority, TicketStatus, User } from '../../db/database.ts';
import { PRIORITIES } from '../../db/database.ts';
import { Alert, CsrfField } from '../../views/components/forms.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import type { ThreadEntry, TicketListRow } from './ticket.repository.ts';
import { formatTicketNumber, MESSAGE_MAX, PAGE_SIZE, SUBJECT_MAX, type ListQuery } from './ticket.schemas.ts';
import type { TicketEvent } from './ticket.service.ts';

export const STATUS_LABEL: Record<TicketStatus, string> = {
  awaiting_staff: 'Awaiting staff reply',
  awaiting_client: 'Awaiting client reply',
  resolved: 'Resolved',
};
const PRIORITY_LABEL: Record<Priority, string> = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' };

function When({ ms }: { ms: number }) {
  const iso = new Date(ms).toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}</time>;
}

function StatusBadge({ status }: { status: TicketStatus }) {
  return <span class={`status status--${status}`}>{STATUS_LABEL[status]}</span>;
}

function PriorityBadge({ priority }: { priority: Priority }) {
  return <span class={`priority priority--${priority}`}>{PRIORITY_LABEL[priority]}</span>;
}

type StaffMember = Pick<User, 'id' | 'email' | 'name'>;
const staffLabel = (s: { email: string | null; name: string | null }) => (s.name ? s.name : (s.email ?? 'Former staff member'));

export interface ListPageProps {
  ctx: PageContext;
  staff: boolean;
  rows: TicketListRow[];
  total: number;
  capped: boolean;
  page: number;
  query: ListQuery;
  staffMembers: StaffMember[];
  categories: string[];
}

function pageHref(query: ListQuery, page: number): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, page: page > 1 ? String(page) : '' })) {
    if (value !== undefined && value !== '') {
      params.set(key, String(value));
    }
  }
  const qs = params.toString();
  return qs ? `/tickets?${qs}` : '/tickets';
}

export function TicketListPage(props: ListPageProps) {
  const { ctx, staff, rows, query } = props;
  const pages = Math.max(1, Math.ceil(props.total / PAGE_SIZE));
  const filtered = Boolean(query.q || query.status || query.priority || query.category || query.assignee);
  return (
    <Layout ctx={ctx} title="Tickets">
      <div class="page-head">
        <h1>{staff ? 'All tickets' : 'Your tickets'}</h1>
        <a class="button button--primary" href="/tickets/new">
          New ticket
        </a>
      </div>
      <form method="get" action="/tickets" class="filters card" role="search" aria-label="Filter tickets">
        <div class="filters__search">
          <label for="q">Search</label>
          <p class="field__hint" id="q-hint">
            Whole words in subjects and messages, all of them; end a word with * for words that begin with it (pay* finds payment).
          </p>
          <input id="q" name="q" type="search" value={query.q ?? ''} maxLength={200} aria-describedby="q-hint" />
        </div>
        <div>
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="">Any</option>
            <option value="open" selected={query.status === 'open'}>
              Open (not resolved)
            </option>
            {(['awaiting_staff', 'awaiting_client', 'resolved'] as const).map((s) => (
              <option value={s} selected={query.status === s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        {staff && (
          <>
            <div>
              <label for="assignee">Assignee</label>
              <select id="assignee" name="assignee">
                <option value="">Anyone</option>
                <option value="me" selected={query.assignee === 'me'}>
                  Assigned to me
                </option>
                <option value="none" selected={query.assignee === 'none'}>
                  Unassigned
                </option>
                {props.staffMembers.map((m) => (
                  <option value={String(m.id)} selected={query.assignee === String(m.id)}>
                    {staffLabel(m)}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="priority">Priority</label>
              <select id="priority" name="priority">
                <option value="">Any</option>
                {PRIORITIES.map((p) => (
                  <option value={p} selected={query.priority === p}>
                    {PRIORITY_LABEL[p]}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="category">Category</label>
              <select id="category" name="category">
                <option value="">Any</option>
                {props.categories.map((c) => (
                  <option value={c} selected={query.category === c}>
                    {c}
                  </option>
                ))}
              </select>
            </div>
          </>
        )}
        <div class="filters__actions">
          <button type="submit" class="button">
            Apply
          </button>
          {filtered && <a href="/tickets">Clear</a>}
        </div>
      </form>

      <p class="muted" aria-live="polite">
        {props.total === 0 && props.page > 1
          ? 'There are no tickets on this page: it is past the last one.'
          : props.total === 0
            ? filtered
              ? 'No tickets match these filters.'
              : staff
                ? 'There are no tickets yet.'
                : 'You have no tickets yet. Open one when you need help.'
            : `${props.capped ? `More than ${props.total.toLocaleString('en')}` : props.total.toLocaleString('en')} ticket${props.total === 1 ? '' : 's'}, newest activity first.`}
      </p>

      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="table ticket-table">
            <thead>
              <tr>
                <th scope="col">Ticket</th>
                <th scope="col">Status</th>
                <th scope="col">Priority</th>
                {staff && <th scope="col">Client</th>}
                {staff && <th scope="col">Assignee</th>}
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id}>
                  <td data-label="Ticket">
                    <a href={`/tickets/${t.id}`} class="ticket-link">
                      <span class="ticket-number">{formatTicketNumber(t.id)}</span> {t.subject}
                    </a>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={t.status} />
                  </td>
                  <td data-label="Priority">
                    <PriorityBadge priority={t.priority} />
                  </td>
                  {staff && <td data-label="Client">{t.client_email ?? 'Deleted user'}</td>}
                  {staff && <td data-label="Assignee">{t.assignee_email ? staffLabel({ email: t.assignee_email, name: t.assignee_name }) : <span class="muted">Unassigned</span>}</td>}
                  <td data-label="Updated">
                    <When ms={t.updated_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {(props.page > 1 || props.page < pages) && (
        <nav class="pagination" aria-label="Pages">
          {props.page > 1 ? (
            <a class="button" href={pageHref(query, props.page - 1)} rel="prev">
              ← Newer
            </a>
          ) : (
            <span />
          )}
          <span class="muted">
            Page {props.page} of {props.capped ? `${pages}+` : pages}
          </span>
          {props.page < pages ? (
            <a class="button" href={pageHref(query, props.page + 1)} rel="next">
              Older →
            </a>
          ) : (
            <span />
          )}
        </nav>
      )}
    </Layout>
  );
}

export interface TicketFormValues {
  subject: string;
  message: string;
  category: string;
  priority: string;
  client_email: string;
}

function Select({ id, label, name, options, value, hint }: { id: string; label: string; name: string; options: Array<[string, string]>; value: string; hint?: string }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <select id={id} name={name} aria-describedby={hint ? `${id}-hint` : undefined}>
        {options.map(([v, l]) => (
          <option value={v} selected={value === v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}

function AttachmentInput({ maxFiles, maxMb, error }: { maxFiles: number; maxMb: number; error?: string | undefined }) {
  if (maxFiles === 0) {
    return null;
  }
  return (
    <div class={`field${error ? ' field--error' : ''}`}>
      <label for="f-attachments">Attachments (optional)</label>
      <p class="field__hint" id="f-attachments-hint">
        Up to {maxFiles} files of {maxMb} MB each: images, PDF, text or office documents.
      </p>
      <input
        id="f-attachments"
        name="attachments"
        type="file"
        multiple
        accept=".png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.log,.csv,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp"
        aria-describedby={`f-attachments-hint${error ? ' f-attachments-error' : ''}`}
        aria-invalid={error ? 'true' : undefined}
      />
      {error && (
        <p class="field__error" id="f-attachments-error">
          {error}
        </p>
      )}
    </div>
  );
}

function TextArea({ label, name, value, max, error, rows = 8, hint }: { label: string; name: string; value: string; max: number; error?: string | undefined; rows?: number; hint?: string }) {
  const id = `f-${name}`;
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field--error' : ''}`}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <textarea id={id} name={name} rows={rows} maxLength={max} required aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy}>
        {value}
      </textarea>
      {error && (
        <p class="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function NewTicketPage(props: {
  ctx: PageContext;
  staff: boolean;
  values: TicketFormValues;
  errors: Partial<Record<keyof TicketFormValues | 'attachments' | 'form', string>>;
  categories: string[];
  maxFiles: number;
  maxMb: number;
}) {
  const { ctx, values, errors } = props;
  return (
    <Layout ctx={ctx} title="New ticket">
      <div class="page-head">
        <h1>New ticket</h1>
        <a href="/tickets">Back to tickets</a>
      </div>
      <section class="card">
        {errors.form && <Alert kind="error">{errors.form}</Alert>}
        <form method="post" action="/tickets" enctype="multipart/form-data" class="stack" novalidate>
          <CsrfField token={ctx.csrfToken} />
          {props.staff && (
            <div class={`field${errors.client_email ? ' field--error' : ''}`}>
              <label for="f-client_email">Client’s email</label>
              <p class="field__hint" id="f-client_email-hint">
                Open the ticket on behalf of this client. They can see and answer it.
              </p>
              <input
                id="f-client_email"
                name="client_email"
                type="email"
                value={values.client_email}
                maxLength={254}
                required
                aria-invalid={errors.client_email ? 'true' : undefined}
                aria-describedby={`f-client_email-hint${errors.client_email ? ' f-client_email-error' : ''}`}
              />
              {errors.client_email && (
                <p class="field__error" id="f-client_email-error">
                  {errors.client_email}
                </p>
              )}
            </div>
          )}
          <div class={`field${errors.subject ? ' field--error' : ''}`}>
            <label for="f-subject">Subject</label>
            <input
              id="f-subject"
              name="subject"
              type="text"
              value={values.subject}
              maxLength={SUBJECT_MAX}
              required
              autofocus={!props.staff}
              aria-invalid={errors.subject ? 'true' : undefined}
              aria-describedby={errors.subject ? 'f-subject-error' : undefined}
            />
            {errors.subject && (
              <p class="field__error" id="f-subject-error">
                {errors.subject}
              </p>
            )}
          </div>
          <div class="grid-2 grid-2--tight">
            <Select id="f-category" label="Category (optional)" name="category" value={values.category} options={[['', 'Choose…'], ...props.categories.map((c): [string, string] => [c, c])]} />
            <Select id="f-priority" label="Priority" name="priority" value={values.priority || 'normal'} options={PRIORITIES.map((p): [string, string] => [p, PRIORITY_LABEL[p]])} />
          </div>
          <TextArea label="Message" name="message" value={values.message} max={MESSAGE_MAX} error={errors.message} rows={10} hint="Describe what happened and what you expected. Line breaks are kept." />
          <AttachmentInput maxFiles={props.maxFiles} maxMb={props.maxMb} error={errors.attachments} />
          <button type="submit" class="button button--primary">
            Open ticket
          </button>
        </form>
      </section>
    </Layout>
  );
}

function describeEvent(event: TicketEvent, clientView: boolean): string {
  const value = (field: TicketEvent['field'], v: string | null) => {
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
  };
  const what = { status: 'Status', assignee: 'Assignee', priority: 'Priority', category: 'Category' }[event.field];
  if (clientView && event.field === 'status') {
    return `Status changed to ${value('status', event.to)}`;
  }
  return `${what} changed from ${value(event.field, event.from)} to ${value(event.field, event.to)}`;
}

function parseEvent(body: string): TicketEvent | null {
  try {
    const parsed = JSON.parse(body) as TicketEvent;
    return typeof parsed.field === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

function authorLabel(entry: ThreadEntry, viewerIsStaff: boolean, viewerId: number): { name: string; badge: string | null } {
  if (entry.author_id === null) {
    return { name: 'Deleted user', badge: null };
  }
  const staffAuthor = entry.author_role === 'agent' || entry.author_role === 'administrator';
  if (staffAuthor) {
    return viewerIsStaff ? { name: entry.author_name || entry.author_email || 'Staff', badge: 'Staff' } : { name: 'Support', badge: 'Support' };
  }
  return { name: entry.author_id === viewerId ? 'You' : entry.author_name || entry.author_email || 'Client', badge: viewerIsStaff ? 'Client' : null };
}

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function Attachments({ ticketId, files }: { ticketId: number; files: Attachment[] }) {
  if (files.length === 0) {
    return null;
  }
  return (
    <ul class="attachments" aria-label="Attachments">
      {files.map((f) => (
        <li key={f.id}>
          <a href={`/tickets/${ticketId}/attachments/${f.id}`} download>
            {f.file_name}
          </a>{' '}
          <span class="muted">({formatSize(f.size)})</span>
        </li>
      ))}
    </ul>
  );
}

export interface TicketPageProps {
  ctx: PageContext;
  ticket: { id: number; subject: string; status: TicketStatus; priority: Priority; category: string | null; created_at: number; assignee_id: number | null };
  clientEmail: string | null;
  entries: ThreadEntry[];
  olderHidden: boolean;
  viewer: User;
  staff: boolean;
  canDelete: boolean;
  staffMembers: StaffMember[];
  categories: string[];
  reply: { message: string; internal: boolean; error?: string | undefined; attachmentsError?: string | undefined };
  maxFiles: number;
  maxMb: number;
}

export function TicketPage(props: TicketPageProps) {
  const { ctx, ticket, staff } = props;
  const assignee = props.staffMembers.find((m) => m.id === ticket.assignee_id);
  return (
    <Layout ctx={ctx} title={`${formatTicketNumber(ticket.id)} ${ticket.subject}`}>
      <p class="breadcrumb">
        <a href="/tickets">Tickets</a>
      </p>
      <div class="ticket-head">
        <h1>
          <span class="ticket-number">{formatTicketNumber(ticket.id)}</span> {ticket.subject}
        </h1>
        <dl class="ticket-meta">
          <div>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={ticket.status} />
            </dd>
          </div>
          <div>
            <dt>Priority</dt>
            <dd>
              <PriorityBadge priority={ticket.priority} />
            </dd>
          </div>
          <div>
            <dt>Category</dt>
            <dd>{ticket.category ?? '—'}</dd>
          </div>
          {staff && (
            <div>
              <dt>Client</dt>
              <dd>{props.clientEmail ?? 'Deleted user'}</dd>
            </div>
          )}
          {staff && (
            <div>
              <dt>Assignee</dt>
              <dd>{assignee ? staffLabel(assignee) : 'Unassigned'}</dd>
            </div>
          )}
          <div>
            <dt>Opened</dt>
            <dd>
              <When ms={ticket.created_at} />
            </dd>
          </div>
        </dl>
      </div>

      <div class="ticket-layout">
        <div class="ticket-main">
          {props.olderHidden && <p class="muted">Older messages are not shown: this thread is very long.</p>}
          <ol class="thread" aria-label="Conversation">
            {props.entries.map((entry) => {
              if (entry.kind === 'event') {
                const event = parseEvent(entry.body);
                if (!event || (!staff && event.field !== 'status' && event.field !== 'priority')) {
                  return null;
                }
                return (
                  <li class="thread__event" key={entry.id}>
                    <span>
                      {describeEvent(event, !staff)} · <When ms={entry.created_at} />
                    </span>
                  </li>
                );
              }
              const author = authorLabel(entry, staff, props.viewer.id);
              return (
                <li class={`message${entry.kind === 'note' ? ' message--note' : ''}${author.badge === 'Support' || author.badge === 'Staff' ? ' message--staff' : ''}`} key={entry.id}>
                  <div class="message__head">
                    <strong>{author.name}</strong>
                    {/* A client sees staff as "Support": the name says it already, a badge would repeat it. */}
                    {author.badge && author.badge !== author.name && <span class="badge">{author.badge}</span>}
                    {entry.kind === 'note' && <span class="badge badge--note">Internal note</span>}
                    <span class="muted">
                      <When ms={entry.created_at} />
                    </span>
                  </div>
                  <div class="message__body">{entry.body}</div>
                  <Attachments ticketId={ticket.id} files={entry.attachments} />
                </li>
              );
            })}
          </ol>

          <section class="card" aria-labelledby="reply-title">
            <h2 id="reply-title">{ticket.status === 'resolved' ? 'Reply to reopen this ticket' : 'Reply'}</h2>
            {props.reply.error && <Alert kind="error">{props.reply.error}</Alert>}
            <form method="post" action={`/tickets/${ticket.id}/messages`} enctype="multipart/form-data" class="stack" novalidate>
              <CsrfField token={ctx.csrfToken} />
              <TextArea label="Message" name="message" value={props.reply.message} max={MESSAGE_MAX} rows={6} />
              <AttachmentInput maxFiles={props.maxFiles} maxMb={props.maxMb} error={props.reply.attachmentsError} />
              {staff && (
                <div class="checkbox">
                  <input id="f-internal" type="checkbox" name="internal" value="1" checked={props.reply.internal} />
                  <label for="f-internal">Internal note (only staff can see it)</label>
                </div>
              )}
              <button type="submit" class="button button--primary">
                Send
              </button>
            </form>
          </section>
        </div>

        <aside class="ticket-side" aria-label="Ticket actions">
          {ticket.status !== 'resolved' && (
            <section class="card">
              <h2>Resolve</h2>
              <p class="muted">{staff ? 'Mark this ticket as resolved. The client is told.' : 'Has your problem been solved? Close this ticket. You can reopen it by replying.'}</p>
              <form method="post" action={`/tickets/${ticket.id}/resolve`}>
                <CsrfField token={ctx.csrfToken} />
                <button type="submit" class="button">
                  Mark as resolved
                </button>
              </form>
            </section>
          )}
          {staff && (
            <section class="card">
              <h2>Manage</h2>
              <form method="post" action={`/tickets/${ticket.id}/properties`} class="stack">
                <CsrfField token={ctx.csrfToken} />
                <Select
                  id="f-assignee"
                  label="Assignee"
                  name="assignee"
                  value={ticket.assignee_id ? String(ticket.assignee_id) : ''}
                  options={[['', 'Unassigned'], ...props.staffMembers.map((m): [string, string] => [String(m.id), staffLabel(m)])]}
                />
                <Select id="f-priority" label="Priority" name="priority" value={ticket.priority} options={PRIORITIES.map((p): [string, string] => [p, PRIORITY_LABEL[p]])} />
                <Select
                  id="f-category"
                  label="Category"
                  name="category"
                  value={ticket.category ?? ''}
                  options={[['', 'None'], ...[...new Set([...props.categories, ...(ticket.category ? [ticket.category] : [])])].map((c): [string, string] => [c, c])]}
                />
                <button type="submit" class="button">
                  Save changes
                </button>
              </form>
            </section>
          )}
          {props.canDelete && (
            <section class="card">
              <h2>Delete</h2>
              <p class="muted">Removes the ticket, its messages and attachments for good.</p>
              <a class="button button--danger" href={`/tickets/${ticket.id}/delete`}>
                Delete ticket…
              </a>
            </section>
          )}
        </aside>
      </div>
    </Layout>
  );
}

export function DeleteTicketPage({ ctx, ticket }: { ctx: PageContext; ticket: { id: number; subject: string } }) {
  return (
    <Layout ctx={ctx} title="Delete ticket" narrow>
      <section class="card auth-card" aria-labelledby="delete-title">
        <h1 id="delete-title">Delete {formatTicketNumber(ticket.id)}?</h1>
        <p>
          “{ticket.subject}” and all of its messages, notes and attachments will be deleted. This cannot be undone; the deletion is recorded in the audit
          log.
        </p>
        <form method="post" action={`/tickets/${ticket.id}/delete`} class="stack">
          <CsrfField token={ctx.csrfToken} />
          <button type="submit" class="button button--danger button--block">
            Delete the ticket
          </button>
        </form>
        <p class="auth-card__footer">
          <a href={`/tickets/${ticket.id}`}>Keep it</a>
        </p>
      </section>
    </Layout>
  );
}
