import { CsrfField } from '../../views/components/forms.tsx';
import { FilterForm, FilterInput } from '../../views/components/filters.tsx';
import { Pagination } from '../../views/components/pagination.tsx';
import { Select } from '../../views/components/select.tsx';
import { type Column, DataTable } from '../../views/components/table.tsx';
import { When } from '../../views/components/time.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import type { AuditQuery } from './admin.schemas.ts';
import type { AuditDetail, AuditLine } from './audit.presenter.ts';
import type { FailedIpRow } from './security.service.ts';

function failedLoginColumns(csrfToken: string): Column<FailedIpRow>[] {
  return [
    { label: 'IP address', cell: (r) => <code>{r.ip}</code> },
    { label: 'Attempts', cell: (r) => r.attempts },
    { label: 'Last attempt', cell: (r) => <When ms={r.lastAttempt} /> },
    {
      label: 'Locked until',
      cell: (r) => (r.lockedUntil ? <When ms={r.lockedUntil} /> : <span class="muted">Not locked</span>),
    },
    {
      label: 'Accounts tried',
      cell: (r) => (
        <ul class="plain-list">
          {r.emails.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ),
    },
    {
      label: 'Actions',
      hiddenLabel: true,
      cell: (r) =>
        r.lockedUntil && (
          <form method="post" action="/admin/failed-logins/unlock" class="inline-form">
            <CsrfField token={csrfToken} />
            <input type="hidden" name="ip" value={r.ip} />
            <button type="submit" class="button button--ghost">
              Unlock<span class="visually-hidden"> {r.ip}</span>
            </button>
          </form>
        ),
    },
  ];
}

export function FailedLoginsPage({
  ctx,
  rows,
  page,
  hasNext,
  windowDays,
}: {
  ctx: PageContext;
  rows: FailedIpRow[];
  page: number;
  hasNext: boolean;
  windowDays: number;
}) {
  return (
    <Layout ctx={ctx} title="Failed sign-ins">
      <h1>Failed sign-in attempts</h1>
      <p class="muted">
        Failed password and code attempts of the last {windowDays} days, grouped by IP address, most recent first.
      </p>
      <DataTable
        columns={failedLoginColumns(ctx.csrfToken)}
        rows={rows}
        rowKey={(r) => r.ip}
        empty={<p>No failed sign-ins. </p>}
      />
      <Pagination base="/admin/failed-logins" params={{}} page={page} hasNext={hasNext} />
    </Layout>
  );
}

function Details({ items }: { items: AuditDetail[] }) {
  if (items.length === 0) {
    return <span class="muted">—</span>;
  }
  return (
    <dl class="kv">
      {items.map((item) => (
        <>
          <dt>{item.label}</dt>
          <dd>{item.value}</dd>
        </>
      ))}
    </dl>
  );
}

const dash = <span class="muted">—</span>;

const auditColumns: Column<AuditLine>[] = [
  { label: 'Time', cell: (r) => <When ms={r.created_at} /> },
  { label: 'Event', cell: (r) => r.view.summary },
  { label: 'Actor', fit: 'line', cell: (r) => r.actor_email ?? dash, title: (r) => r.actor_email ?? undefined },
  { label: 'Target', fit: 'line', cell: (r) => r.target_email ?? dash, title: (r) => r.target_email ?? undefined },
  { label: 'IP', cell: (r) => r.ip ?? dash },
  { label: 'Details', cell: (r) => <Details items={r.view.details} />, title: (r) => r.user_agent ?? undefined },
];

export function AuditPage({
  ctx,
  rows,
  q,
  page,
  hasNext,
  events,
  retentionDays,
}: {
  ctx: PageContext;
  rows: AuditLine[];
  q: AuditQuery;
  page: number;
  hasNext: boolean;
  events: Array<{ value: string; label: string }>;
  retentionDays: number;
}) {
  return (
    <Layout ctx={ctx} title="Audit log">
      <h1>Audit log</h1>
      <p class="muted">Security events, newest first, kept for {retentionDays} days..</p>
      <FilterForm action="/admin/audit" label="Filter the audit log" clear="/admin/audit">
        <Select
          plain
          id="event"
          label="Event"
          name="event"
          value={q.event}
          options={[{ value: '', label: 'Any' }, ...events]}
        />
        <FilterInput label="User email" name="user" value={q.user} maxLength={254} />
        <FilterInput label="IP address" name="ip" value={q.ip} maxLength={64} />
        <FilterInput label="From" name="from" type="date" value={q.from} />
        <FilterInput label="To" name="to" type="date" value={q.to} />
      </FilterForm>
      <DataTable
        columns={auditColumns}
        rows={rows}
        rowKey={(r) => r.id}
        empty={<p class="muted">No events match.</p>}
      />
      <Pagination
        base="/admin/audit"
        params={{ event: q.event, user: q.user, ip: q.ip, from: q.from, to: q.to }}
        page={page}
        hasNext={hasNext}
      />
    </Layout>
  );
}
