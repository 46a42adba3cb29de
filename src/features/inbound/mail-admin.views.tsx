import type { ComponentChildren } from 'preact';
import type { InboxStatus } from '../../db/database.ts';
import { Badge } from '../../views/components/badge.tsx';
import { ActionButton, Alert, CsrfField } from '../../views/components/forms.tsx';
import { Pagination } from '../../views/components/pagination.tsx';
import { type Column, DataTable } from '../../views/components/table.tsx';
import { When } from '../../views/components/time.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import { formatTicketNumber } from '../tickets/ticket.schemas.ts';
import type { InboxRow, UndeliverableRow } from './mail-admin.repository.ts';
import type { MailAdminSections, MailMessageData, MailPageData, SourceStatus } from './mail-admin.service.ts';

const STATUS_LABEL: Record<InboxStatus, string> = {
  pending: 'Pending',
  processing: 'Processing',
  applied: 'Applied',
  held: 'Held',
  ignored: 'Ignored',
  rejected: 'Rejected',
  failed: 'Failed',
};

const SOURCE_LABEL: Record<SourceStatus['name'], string> = { imap: 'IMAP', mailgun: 'Mailgun' };

const dash = <span class="muted">—</span>;

function MailStatus({ status }: { status: InboxStatus }) {
  return <Badge family="status" kind={`mail-${status}`} label={STATUS_LABEL[status]} />;
}

function formatSize(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${Math.round(bytes / 1024)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function Sender({ row }: { row: Pick<InboxRow, 'from_name' | 'from_address'> }) {
  if (!row.from_address && !row.from_name) {
    return <span class="muted">Unknown sender</span>;
  }
  return (
    <span class="mail-sender">
      {row.from_name && <strong dir="auto">{row.from_name}</strong>}
      {row.from_name && row.from_address && ' '}
      {row.from_address && <span class={row.from_name ? 'muted' : undefined}>{row.from_address}</span>}
    </span>
  );
}

function SubjectLink({ row }: { row: InboxRow }) {
  return (
    <a href={`/admin/mail/${row.id}`} dir="auto">
      {row.subject?.trim() ? row.subject : '(no subject)'}
    </a>
  );
}

function TicketLink({ id }: { id: number | null }) {
  return id === null ? dash : <a href={`/tickets/${id}`}>{formatTicketNumber(id)}</a>;
}

function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="card section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function decisionButtons(csrfToken: string, row: Pick<InboxRow, 'id'>) {
  return (
    <>
      <ActionButton
        token={csrfToken}
        action={`/admin/mail/${row.id}/approve`}
        label="Approve"
        class="button button--primary"
        confirm="Approve this message? It is added to the ticket (or opens one) as if it had been authenticated."
      />
      <ActionButton
        token={csrfToken}
        action={`/admin/mail/${row.id}/reject`}
        label="Reject"
        class="button button--danger"
        confirm="Reject this message? It is kept here but never reaches a ticket."
      />
    </>
  );
}

function heldColumns(csrfToken: string): Column<InboxRow>[] {
  return [
    { label: 'From', fit: 'wrap', cell: (r) => <Sender row={r} /> },
    { label: 'Subject', fit: 'wrap', cell: (r) => <SubjectLink row={r} /> },
    { label: 'Received', cell: (r) => <When ms={r.received_at} /> },
    { label: 'Ticket', cell: (r) => <TicketLink id={r.ticket_id} /> },
    { label: 'Reason', cell: (r) => r.reason ?? dash },
    {
      label: 'Actions',
      hiddenLabel: true,
      cell: (r) => <div class="action-row mail-actions">{decisionButtons(csrfToken, r)}</div>,
    },
  ];
}

function unprocessedColumns(csrfToken: string): Column<InboxRow>[] {
  return [
    { label: 'From', fit: 'wrap', cell: (r) => <Sender row={r} /> },
    { label: 'Subject', fit: 'wrap', cell: (r) => <SubjectLink row={r} /> },
    { label: 'Received', cell: (r) => <When ms={r.received_at} /> },
    { label: 'Status', cell: (r) => <MailStatus status={r.status} /> },
    { label: 'Attempts', cell: (r) => r.attempts },
    { label: 'Error', cell: (r) => (r.last_error ? <span class="mail-error">{r.last_error}</span> : dash) },
    {
      label: 'Actions',
      hiddenLabel: true,
      cell: (r) =>
        r.status !== 'processing' && (
          <ActionButton
            token={csrfToken}
            action={`/admin/mail/${r.id}/retry`}
            label="Retry"
            confirm="Process this message again now?"
          />
        ),
    },
  ];
}

function undeliverableColumns(csrfToken: string): Column<UndeliverableRow>[] {
  return [
    { label: 'Address', fit: 'line', cell: (r) => r.address },
    { label: 'Reason', cell: (r) => r.reason },
    { label: 'Bounces', cell: (r) => r.bounces },
    { label: 'First', cell: (r) => <When ms={r.first_at} /> },
    { label: 'Last', cell: (r) => <When ms={r.last_at} /> },
    {
      label: 'Actions',
      hiddenLabel: true,
      cell: (r) => (
        <form
          method="post"
          action="/admin/mail/undeliverable/clear"
          class="inline-form"
          data-confirm="Clear this address? Mail is sent to it again."
        >
          <CsrfField token={csrfToken} />
          <input type="hidden" name="address" value={r.address} />
          <button type="submit" class="button">
            Clear<span class="visually-hidden"> {r.address}</span>
          </button>
        </form>
      ),
    },
  ];
}

const activityColumns: Column<InboxRow>[] = [
  { label: 'Processed', cell: (r) => <When ms={r.processed_at ?? r.received_at} /> },
  { label: 'From', cell: (r) => <Sender row={r} /> },
  { label: 'Subject', cell: (r) => <SubjectLink row={r} /> },
  { label: 'Status', cell: (r) => <MailStatus status={r.status} /> },
  { label: 'Outcome', cell: (r) => (r.outcome ? <code>{r.outcome}</code> : dash) },
  { label: 'Ticket', cell: (r) => <TicketLink id={r.ticket_id} /> },
];

const sourceColumns: Column<SourceStatus>[] = [
  { label: 'Source', cell: (s) => <strong>{SOURCE_LABEL[s.name]}</strong> },
  {
    label: 'Setting',
    cell: (s) => (s.configured ? s.detail : <span class="muted">{s.detail}</span>),
  },
  {
    label: 'Last poll',
    cell: (s) => (s.name === 'mailgun' ? <span class="muted">Push</span> : <When ms={s.state?.last_poll_at ?? null} />),
  },
  { label: 'Last success', cell: (s) => <When ms={s.state?.last_success_at ?? null} /> },
  {
    label: 'Last error',
    cell: (s) =>
      s.state?.last_error ? (
        <>
          <When ms={s.state.last_error_at} />
          <br />
          <span class="mail-error">{s.state.last_error}</span>
        </>
      ) : (
        <span class="muted">None</span>
      ),
  },
  { label: 'Received', cell: (s) => s.state?.received_count ?? 0 },
];

function AdminSourcesSection({ admin }: { admin: MailAdminSections }) {
  const { settings } = admin;
  const total = admin.counts.reduce((sum, c) => sum + c.n, 0);
  return (
    <Section id="sources-title" title="Inbound sources">
      <dl class="details">
        <dt>Support address</dt>
        <dd>{settings.supportAddress ?? <span class="muted">Not set (SUPPORT_ADDRESS): no mail is received</span>}</dd>
        <dt>Unknown senders</dt>
        <dd>
          {settings.unknownSenders === 'invite'
            ? 'Held, and the sender is invited to verify their address'
            : settings.unknownSenders === 'hold'
              ? 'Held for staff'
              : 'Rejected'}{' '}
          <span class="muted">(INBOUND_UNKNOWN_SENDERS={settings.unknownSenders})</span>
        </dd>
      </dl>
      <DataTable columns={sourceColumns} rows={admin.sources} rowKey={(s) => s.name} />
      <h3 class="mail-subhead">Messages by status</h3>
      {total === 0 ? (
        <p class="muted">No mail received yet.</p>
      ) : (
        <ul class="mail-counts" aria-label="Messages by status">
          {admin.counts.map((c) => (
            <li key={c.status}>
              <MailStatus status={c.status} /> <span class="mail-counts__n">{c.n}</span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

export function MailPage({ ctx, data }: { ctx: PageContext; data: MailPageData }) {
  const { admin } = data;
  return (
    <Layout ctx={ctx} title="Mail">
      <h1>Mail</h1>
      <p class="muted">
        {admin
          ? 'Inbound email: its sources, the mail waiting for a decision, what could not be processed, and addresses that bounce..'
          : 'Inbound email waiting for a decision..'}
      </p>
      {admin && <AdminSourcesSection admin={admin} />}
      <Section id="held-title" title="Held mail">
        <p class="muted">
          Mail that did not prove who sent it, or that may not go where it asked to. Approve to add it to its ticket (or
          open one); reject to keep it out. Open a message to read it in full first.
        </p>
        <DataTable
          columns={heldColumns(ctx.csrfToken)}
          rows={data.held}
          rowKey={(r) => r.id}
          empty={<p class="muted">No held mail.</p>}
        />
        <Pagination base="/admin/mail" params={{}} page={data.page} hasNext={data.hasNext} />
      </Section>
      {admin && (
        <>
          <Section id="unprocessed-title" title="Unprocessed">
            <p class="muted">
              Mail that failed after every retry, or still waits more than {admin.staleAfterMinutes} minutes after it
              arrived. It is kept until it is processed.
            </p>
            <DataTable
              columns={unprocessedColumns(ctx.csrfToken)}
              rows={admin.unprocessed}
              rowKey={(r) => r.id}
              empty={<p class="muted">Everything received has been processed.</p>}
            />
          </Section>
          <Section id="undeliverable-title" title="Undeliverable addresses">
            <p class="muted">
              Addresses a bounce reported as undeliverable. Clear one when its owner has fixed it.
              {admin.undeliverableCapped && ' Only the 100 most recent are shown.'}
            </p>
            <DataTable
              columns={undeliverableColumns(ctx.csrfToken)}
              rows={admin.undeliverable}
              rowKey={(r) => r.address}
              empty={<p class="muted">No address has bounced.</p>}
            />
          </Section>
          <Section id="activity-title" title="Recent activity">
            <p class="muted">The last {50} messages that were applied, ignored or rejected, newest first.</p>
            <DataTable
              columns={activityColumns}
              rows={admin.activity}
              rowKey={(r) => r.id}
              empty={<p class="muted">Nothing yet.</p>}
            />
          </Section>
        </>
      )}
    </Layout>
  );
}

export interface MailMessageCan {
  decide: boolean;
  retry: boolean;
}

export function MailMessagePage({ ctx, data, can }: { ctx: PageContext; data: MailMessageData; can: MailMessageCan }) {
  const { message, original } = data;
  const subject = message.subject?.trim() ? message.subject : '(no subject)';
  return (
    <Layout ctx={ctx} title={`Mail: ${subject}`}>
      <p class="breadcrumb">
        <a href="/admin/mail">Mail</a>
      </p>
      <div class="page-head">
        <h1 class="mail-title" dir="auto">
          {subject}
        </h1>
        <MailStatus status={message.status} />
      </div>
      <div class="grid-2">
        <section class="card" aria-labelledby="headers-title">
          <h2 id="headers-title">Message</h2>
          {original.headers.length > 0 ? (
            <dl class="details">
              {original.headers.map((h) => (
                <>
                  <dt>{h.name}</dt>
                  <dd dir="auto">{h.ms !== undefined && Number.isFinite(h.ms) ? <When ms={h.ms} /> : h.value}</dd>
                </>
              ))}
            </dl>
          ) : (
            <p class="muted">No headers could be read.</p>
          )}
          <p class="muted small">
            {formatSize(original.rawBytes)} as received through {SOURCE_LABEL[message.source]}.
          </p>
        </section>
        <section class="card" aria-labelledby="processing-title">
          <h2 id="processing-title">Processing</h2>
          <dl class="details">
            <dt>Received</dt>
            <dd>
              <When ms={message.received_at} />
            </dd>
            <dt>Status</dt>
            <dd>
              <MailStatus status={message.status} />
            </dd>
            <dt>Outcome</dt>
            <dd>{message.outcome ? <code>{message.outcome}</code> : dash}</dd>
            <dt>Reason</dt>
            <dd>{message.reason ?? dash}</dd>
            {data.envelope.map((e) => (
              <>
                <dt>{e.name}</dt>
                <dd>{e.value}</dd>
              </>
            ))}
            <dt>Ticket</dt>
            <dd>
              {data.ticketId !== null ? (
                <a href={`/tickets/${data.ticketId}`}>Ticket {formatTicketNumber(data.ticketId)}</a>
              ) : message.ticket_id !== null ? (
                <span class="muted">{formatTicketNumber(message.ticket_id)} (deleted)</span>
              ) : (
                dash
              )}
            </dd>
            {message.decided_at !== null && (
              <>
                <dt>Decided</dt>
                <dd>
                  <When ms={message.decided_at} /> by {message.decided_by_email ?? 'a former staff member'}
                </dd>
              </>
            )}
            <dt>Attempts</dt>
            <dd>{message.attempts}</dd>
            {message.last_error && (
              <>
                <dt>Last error</dt>
                <dd class="mail-error">{message.last_error}</dd>
              </>
            )}
          </dl>
          {(can.decide || can.retry) && (
            <div class="action-row">
              {can.decide && decisionButtons(ctx.csrfToken, message)}
              {can.retry && (
                <ActionButton
                  token={ctx.csrfToken}
                  action={`/admin/mail/${message.id}/retry`}
                  label="Retry"
                  confirm="Process this message again now?"
                />
              )}
            </div>
          )}
        </section>
      </div>
      <section class="card section" aria-labelledby="text-title">
        <h2 id="text-title">Original text</h2>
        {!original.parsed && (
          <Alert kind="error">The message could not be parsed ({original.parseError}); its raw source follows.</Alert>
        )}
        <p class="muted small">
          The full message as it arrived, quoted history included, shown as plain text (its HTML is never displayed).
        </p>
        {original.text.trim() ? (
          <div class="mail-original" dir="auto">
            {original.text}
          </div>
        ) : (
          <p class="muted">The message has no text.</p>
        )}
        {original.truncated && <p class="muted small">The text is cut here: it is too long to show in full.</p>}
        <h3 class="mail-subhead">Attachments</h3>
        {original.attachments.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <ul class="attachments" aria-label="Attachments">
            {original.attachments.map((a, i) => (
              <li key={i}>
                <span dir="auto">{a.name}</span>{' '}
                <span class="muted">
                  ({[a.contentType, formatSize(a.size), a.inline ? 'inline' : null].filter(Boolean).join(', ')})
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </Layout>
  );
}
