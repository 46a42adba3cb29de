import type { ComponentChildren } from 'preact';
import { Alert, CsrfField } from '../../views/components/forms.tsx';
import { Select } from '../../views/components/select.tsx';
import { Textarea } from '../../views/components/textarea.tsx';
import { When } from '../../views/components/time.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import { PriorityBadge, StatusBadge } from './ticket-badges.tsx';
import { AttachmentInput, type AttachmentLimits } from './ticket-form.views.tsx';
import { PRIORITY_OPTIONS, type AttachmentView, type ThreadItemView, type TicketPageView } from './ticket.presenter.ts';
import { MESSAGE_MAX } from './ticket.schemas.ts';

function Attachments({ files }: { files: AttachmentView[] }) {
  if (files.length === 0) {
    return null;
  }
  return (
    <ul class="attachments" aria-label="Attachments">
      {files.map((f) => (
        <li key={f.id}>
          <a href={f.href} download dir="auto">
            {f.name}
          </a>{' '}
          <span class="muted">({f.size})</span>
        </li>
      ))}
    </ul>
  );
}

function ThreadItem({ item }: { item: ThreadItemView }) {
  if (item.type === 'event') {
    return (
      <li class="thread__event" key={item.id}>
        <span>
          {item.text} · <When ms={item.at} />
        </span>
      </li>
    );
  }
  return (
    <li class={`message${item.note ? ' message--note' : ''}${item.fromStaff ? ' message--staff' : ''}`} key={item.id}>
      <div class="message__head">
        <strong dir="auto">{item.author}</strong>
        {item.badge && <span class="badge">{item.badge}</span>}
        {item.note && <span class="badge badge--note">Internal note</span>}
        <span class="muted">
          <When ms={item.at} />
        </span>
      </div>
      <div class="message__body" dir="auto">
        {item.body}
      </div>
      <Attachments files={item.attachments} />
      {item.originalHref && (
        <p class="message__original small">
          <a href={item.originalHref}>View the original email</a>
        </p>
      )}
    </li>
  );
}

/** One term of the ticket's summary, grouped in a div so the list lays out as a row of boxes. */
function Meta({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function TicketHead({ view }: { view: TicketPageView }) {
  const { ticket } = view;
  return (
    <div class="ticket-head">
      <h1>
        <span class="ticket-number">{view.number}</span> <span dir="auto">{ticket.subject}</span>
      </h1>
      <dl class="ticket-meta">
        <Meta label="Status">
          <StatusBadge status={ticket.status} />
        </Meta>
        <Meta label="Priority">
          <PriorityBadge priority={ticket.priority} />
        </Meta>
        <Meta label="Category">{ticket.category ?? '—'}</Meta>
        {view.staffDetails && (
          <Meta label="Client">
            <span dir="auto">{view.staffDetails.client}</span>
          </Meta>
        )}
        {view.staffDetails && <Meta label="Assignee">{view.staffDetails.assignee}</Meta>}
        <Meta label="Opened">
          <When ms={ticket.created_at} />
        </Meta>
      </dl>
    </div>
  );
}

interface TicketPageProps {
  ctx: PageContext;
  view: TicketPageView;
  attachments: AttachmentLimits;
}

function ReplyCard({ ctx, view, attachments }: TicketPageProps) {
  const { ticket, reply } = view;
  return (
    <section class="card" aria-labelledby="reply-title">
      <h2 id="reply-title">{ticket.status === 'resolved' ? 'Reply to reopen this ticket' : 'Reply'}</h2>
      {reply.error && <Alert kind="error">{reply.error}</Alert>}
      <form
        method="post"
        action={`/tickets/${ticket.id}/messages`}
        enctype="multipart/form-data"
        class="stack"
        novalidate
      >
        <CsrfField token={ctx.csrfToken} />
        <Textarea label="Message" name="message" value={reply.message} maxLength={MESSAGE_MAX} rows={6} />
        <AttachmentInput {...attachments} error={reply.attachmentsError} />
        {view.can.addNote && (
          <div class="checkbox">
            <input id="f-internal" type="checkbox" name="internal" value="1" checked={reply.internal} />
            <label for="f-internal">Internal note (only staff can see it)</label>
          </div>
        )}
        <button type="submit" class="button button--primary">
          Send
        </button>
      </form>
    </section>
  );
}

function SideCards({ ctx, view }: { ctx: PageContext; view: TicketPageView }) {
  const { ticket, manage } = view;
  return (
    <aside class="ticket-side" aria-label="Ticket actions">
      {view.can.resolve && (
        <section class="card">
          <h2>Resolve</h2>
          <p class="muted">
            {view.staffViewer
              ? 'Mark this ticket as resolved. The client is told.'
              : 'Has your problem been solved? Close this ticket. You can reopen it by replying.'}
          </p>
          <form method="post" action={`/tickets/${ticket.id}/resolve`}>
            <CsrfField token={ctx.csrfToken} />
            <button type="submit" class="button">
              Mark as resolved
            </button>
          </form>
        </section>
      )}
      {manage && (
        <section class="card">
          <h2>Manage</h2>
          <form method="post" action={`/tickets/${ticket.id}/properties`} class="stack">
            <CsrfField token={ctx.csrfToken} />
            <Select label="Assignee" name="assignee" value={manage.assignee} options={manage.assigneeOptions} />
            <Select label="Priority" name="priority" value={ticket.priority} options={PRIORITY_OPTIONS} />
            <Select label="Category" name="category" value={ticket.category ?? ''} options={manage.categoryOptions} />
            <button type="submit" class="button">
              Save changes
            </button>
          </form>
        </section>
      )}
      {view.can.delete && (
        <section class="card">
          <h2>Delete</h2>
          <p class="muted">Removes the ticket, its messages and attachments for good.</p>
          <a class="button button--danger" href={`/tickets/${ticket.id}/delete`}>
            Delete ticket…
          </a>
        </section>
      )}
    </aside>
  );
}

export function TicketPage({ ctx, view, attachments }: TicketPageProps) {
  return (
    <Layout ctx={ctx} title={`${view.number} ${view.ticket.subject}`}>
      <p class="breadcrumb">
        <a href="/tickets">Tickets</a>
      </p>
      <TicketHead view={view} />

      <div class="ticket-layout">
        <div class="ticket-main">
          {view.olderHidden && <p class="muted">Older messages are not shown: this thread is very long.</p>}
          <ol class="thread" aria-label="Conversation">
            {view.thread.map((item) => (
              <ThreadItem key={item.id} item={item} />
            ))}
          </ol>
          <ReplyCard ctx={ctx} view={view} attachments={attachments} />
        </div>
        <SideCards ctx={ctx} view={view} />
      </div>
    </Layout>
  );
}
