import type { ComponentChildren } from 'preact';
import { Alert, CsrfField } from '../../views/components/forms.tsx';
import { Select } from '../../views/components/select.tsx';
import { Textarea } from '../../views/components/textarea.tsx';
import { MarkdownBody } from '../../views/components/markdown-body.tsx';
import { When } from '../../views/components/time.tsx';
import { formatDuration } from '../../lib/time.ts';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import { PriorityBadge, StatusBadge } from './ticket-badges.tsx';
import { AttachmentInput, draftKey, type AttachmentLimits } from './ticket-form.views.tsx';
import {
  PRIORITY_OPTIONS,
  type AttachmentView,
  type OtherTicketView,
  type ThreadItemView,
  type TicketPageView,
} from './ticket.presenter.ts';
import { MESSAGE_MAX } from './ticket.schemas.ts';

function Attachments({ files }: { files: AttachmentView[] }) {
  if (files.length === 0) {
    return null;
  }
  const images = files.filter((f) => f.image);
  return (
    <>
      {images.length > 0 && (
        <ul class="thumbnails" aria-label="Images">
          {images.map((f) => (
            <li key={f.id}>
              <a href={f.href} class="thumbnail" title={f.name}>
                <img src={f.href} alt={f.name} loading="lazy" decoding="async" width={160} height={120} />
              </a>
            </li>
          ))}
        </ul>
      )}
      <AttachmentList files={files} />
    </>
  );
}

function AttachmentList({ files }: { files: AttachmentView[] }) {
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
      <MarkdownBody class="message__body" html={item.bodyHtml} />
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

function TicketHead({ view, now }: { view: TicketPageView; now: number }) {
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
      {(view.lastReply || view.waitingSince !== null) && (
        <p class="ticket-activity">
          {view.lastReply && (
            <span>
              Last reply by <bdi>{view.lastReply.author}</bdi> <When ms={view.lastReply.at} />
            </span>
          )}
          {view.waitingSince !== null && (
            <strong class="ticket-activity__waiting">Waiting for {formatDuration(now - view.waitingSince)}</strong>
          )}
        </p>
      )}
    </div>
  );
}

interface TicketPageProps {
  ctx: PageContext;
  view: TicketPageView;
  attachments: AttachmentLimits;
}

/** One composer form: the reply (with "Send and resolve" for staff) or the internal note. */
function ComposerForm({ ctx, view, attachments, note }: TicketPageProps & { note: boolean }) {
  const { ticket, reply } = view;
  // The text and errors that came back belong to the composer they were sent from.
  const mine = reply.internal === note;
  const prefix = note ? 'note' : 'reply';
  return (
    <form
      method="post"
      action={`/tickets/${ticket.id}/${note ? 'notes' : 'messages'}`}
      enctype="multipart/form-data"
      class="stack"
      novalidate
      data-draft={draftKey(ctx, note ? 'note' : 'reply', ticket.id)}
    >
      <CsrfField token={ctx.csrfToken} />
      {mine && reply.error && <Alert kind="error">{reply.error}</Alert>}
      {note && <p class="composer__notice">Only staff see this. The client is not told.</p>}
      <Textarea
        label={note ? 'Internal note' : 'Message'}
        name="message"
        id={`f-${prefix}-message`}
        value={mine ? reply.message : ''}
        maxLength={MESSAGE_MAX}
        rows={6}
      />
      <AttachmentInput
        {...attachments}
        id={`f-${prefix}-attachments`}
        error={mine ? reply.attachmentsError : undefined}
      />
      <div class="composer__actions">
        {note ? (
          <button type="submit" class="button button--note">
            Add internal note
          </button>
        ) : (
          <>
            <button type="submit" class="button button--primary">
              Send
            </button>
            {view.staffViewer && (
              <button type="submit" class="button" name="then" value="resolve">
                Send and resolve
              </button>
            )}
          </>
        )}
      </div>
    </form>
  );
}

/**
 * The reply card. Staff get two tabs, "Reply to client" and "Internal note", each its own form and button; they are
 * radio buttons styled as tabs, so they work without JavaScript.
 */
function ReplyCard(props: TicketPageProps) {
  const { view } = props;
  const title = view.ticket.status === 'resolved' ? 'Reply to reopen this ticket' : 'Reply';
  if (!view.can.addNote) {
    return (
      <section class="card" aria-labelledby="reply-title">
        <h2 id="reply-title">{title}</h2>
        <ComposerForm {...props} note={false} />
      </section>
    );
  }
  return (
    <section class="card composer" aria-labelledby="reply-title">
      <h2 id="reply-title" class="visually-hidden">
        Reply or add an internal note
      </h2>
      <input
        type="radio"
        name="composer"
        id="composer-reply"
        class="composer__radio composer__radio--reply"
        checked={!view.reply.internal}
      />
      <input
        type="radio"
        name="composer"
        id="composer-note"
        class="composer__radio composer__radio--note"
        checked={view.reply.internal}
      />
      <div class="composer__tabs">
        <label for="composer-reply" class="composer__tab composer__tab--reply">
          {view.ticket.status === 'resolved' ? 'Reply to client (reopens)' : 'Reply to client'}
        </label>
        <label for="composer-note" class="composer__tab composer__tab--note">
          Internal note
        </label>
      </div>
      <div class="composer__panel composer__panel--reply">
        <ComposerForm {...props} note={false} />
      </div>
      <div class="composer__panel composer__panel--note">
        <ComposerForm {...props} note={true} />
      </div>
    </section>
  );
}

/** Staff: the client's other tickets, beside the thread. */
function OtherTickets({ tickets }: { tickets: OtherTicketView[] }) {
  return (
    <section class="card" aria-labelledby="other-tickets-title">
      <h2 id="other-tickets-title">Client’s other tickets</h2>
      {tickets.length === 0 ? (
        <p class="muted">None: this is their only ticket.</p>
      ) : (
        <ul class="other-tickets">
          {tickets.map((t) => (
            <li key={t.id}>
              <a href={t.href} dir="auto">
                <span class="ticket-number">{t.number}</span> {t.subject}
              </a>{' '}
              <StatusBadge status={t.status} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** What a user does to the ticket (resolve; staff: manage). On a phone staff find it above the thread. */
function ActionCards({ ctx, view }: { ctx: PageContext; view: TicketPageView }) {
  const { ticket, manage } = view;
  return (
    <aside class={`ticket-actions${view.staffViewer ? ' ticket-actions--staff' : ''}`} aria-label="Ticket actions">
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
    </aside>
  );
}

/** Staff: the client's other tickets and, for administrators, deletion; after the thread on a phone. */
function SideCards({ view }: { view: TicketPageView }) {
  if (!view.otherTickets && !view.can.delete) {
    return null;
  }
  return (
    <aside class="ticket-side" aria-label="About this client">
      {view.otherTickets && <OtherTickets tickets={view.otherTickets} />}
      {view.can.delete && (
        <section class="card">
          <h2>Delete</h2>
          <p class="muted">Removes the ticket, its messages and attachments for good.</p>
          <a class="button button--danger" href={`/tickets/${view.ticket.id}/delete`}>
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
      <TicketHead view={view} now={ctx.now} />

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
        <ActionCards ctx={ctx} view={view} />
        <SideCards view={view} />
      </div>
    </Layout>
  );
}
