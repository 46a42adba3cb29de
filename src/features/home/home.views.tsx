import type { ComponentChildren } from 'preact';
import { type Column, DataTable } from '../../views/components/table.tsx';
import { When } from '../../views/components/time.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import { PriorityBadge, StatusBadge } from '../tickets/ticket-badges.tsx';
import {
  COUNT_CAP_NOTE,
  type HomeListView,
  type HomeRowView,
  type HomeView,
  type SignalView,
} from './home.presenter.ts';

const ticketCell: Column<HomeRowView> = {
  label: 'Ticket',
  cell: (t) => (
    <a href={t.href} class="ticket-link">
      <span class="ticket-number">{t.number}</span> <bdi>{t.subject}</bdi>
    </a>
  ),
};

const CLIENT_COLUMNS: Column<HomeRowView>[] = [
  ticketCell,
  { label: 'Status', cell: (t) => <StatusBadge status={t.status} /> },
  { label: 'Updated', cell: (t) => <When ms={t.updatedAt} /> },
];

function staffColumns(withAssignee: boolean): Column<HomeRowView>[] {
  return [
    ticketCell,
    { label: 'Client', fit: 'line', cell: (t) => t.client, title: (t) => t.client },
    { label: 'Priority', cell: (t) => <PriorityBadge priority={t.priority} /> },
    ...(withAssignee
      ? [{ label: 'Assignee', cell: (t: HomeRowView) => t.assignee ?? <span class="muted">Unassigned</span> }]
      : []),
    {
      label: 'Waiting',
      cell: (t) => <time datetime={new Date(t.updatedAt).toISOString()}>{t.waited}</time>,
    },
  ];
}

/** One list of the home page: its heading with the count, a few rows, and the link to all of them. */
function ListSection(props: {
  id: string;
  title: string;
  list: HomeListView;
  columns: Column<HomeRowView>[];
  empty: ComponentChildren;
  allLabel: string;
}) {
  const { id, list } = props;
  return (
    <section class="card section home-list" aria-labelledby={id}>
      <div class="home-list__head">
        <h2 id={id}>
          {props.title} <span class="home-count">{list.count}</span>
        </h2>
        {list.rows.length > 0 && (
          <a href={list.href}>
            {props.allLabel}
            {list.more ? ` (${list.count})` : ''}
          </a>
        )}
      </div>
      <DataTable
        class="ticket-table home-table"
        columns={props.columns}
        rows={list.rows}
        rowKey={(t) => t.id}
        empty={<p class="muted">{props.empty}</p>}
      />
    </section>
  );
}

function Greeting({ ctx, primary }: { ctx: PageContext; primary: boolean }) {
  const name = ctx.user?.name;
  return (
    <div class="page-head">
      <div>
        <h1>
          Welcome{name ? ', ' : ''}
          {name && <bdi>{name}</bdi>}
        </h1>
        {ctx.user && (
          <p class="muted home-who">
            You are signed in as <strong>{ctx.user.email}</strong>.
          </p>
        )}
      </div>
      <a class={primary ? 'button button--primary home-new' : 'button'} href="/tickets/new">
        New ticket
      </a>
    </div>
  );
}

function ClientHome({ view }: { view: Extract<HomeView, { kind: 'client' }> }) {
  if (!view.hasTickets) {
    return (
      <section class="card section home-empty" aria-labelledby="start-title">
        <h2 id="start-title">You have no tickets yet</h2>
        <p>
          When something does not work or you have a question, open a ticket: give it a short subject, describe what
          happened and attach a screenshot if it helps.
        </p>
        <p>
          Our team answers here and by email. Your tickets and their answers will be listed on this page, and the ones
          that need your reply come first.
        </p>
        <p>
          <a class="button button--primary" href="/tickets/new">
            Open your first ticket
          </a>
        </p>
      </section>
    );
  }
  return (
    <>
      {view.waiting.rows.length > 0 && (
        <ListSection
          id="waiting-title"
          title="Waiting for your reply"
          list={view.waiting}
          columns={CLIENT_COLUMNS}
          empty={null}
          allLabel="All waiting for you"
        />
      )}
      <ListSection
        id="open-title"
        title="Your open tickets"
        list={view.open}
        columns={CLIENT_COLUMNS}
        empty="You have no open tickets: everything you asked about is resolved."
        allLabel="All open tickets"
      />
      <p class="section">
        <a href="/tickets">All your tickets, resolved ones included</a>
      </p>
      {[view.waiting.count, view.open.count].some((c) => c.endsWith('+')) && (
        <p class="muted small">{COUNT_CAP_NOTE}</p>
      )}
    </>
  );
}

function Stat({ label, count, href, alert, hint }: SignalView) {
  return (
    <li class={alert ? 'home-stat home-stat--alert' : 'home-stat'}>
      <a href={href}>
        <span class="home-stat__n">{count}</span>
        <span class="home-stat__label">{label}</span>
      </a>
      <span class="home-stat__hint">{hint}</span>
    </li>
  );
}

function StaffHome({ view }: { view: Extract<HomeView, { kind: 'staff' }> }) {
  const queue: SignalView[] = [
    {
      label: 'Unassigned',
      count: view.unassigned.count,
      href: view.unassigned.href,
      alert: view.unassigned.rows.length > 0,
      hint: 'Open, nobody on it yet.',
    },
    {
      label: 'Mine',
      count: view.mine.count,
      href: view.mine.href,
      alert: view.mine.rows.length > 0,
      hint: 'Open and assigned to you.',
    },
    {
      label: 'Awaiting staff reply',
      count: view.awaitingStaff.count,
      href: view.awaitingStaff.href,
      alert: view.awaitingStaff.rows.length > 0,
      hint: 'The client wrote last.',
    },
  ];
  return (
    <>
      <section aria-labelledby="queue-title">
        <h2 id="queue-title" class="visually-hidden">
          Your queue
        </h2>
        <ul class="home-stats">
          {queue.map((s) => (
            <Stat key={s.label} {...s} />
          ))}
        </ul>
      </section>
      <ListSection
        id="unassigned-title"
        title="Unassigned"
        list={view.unassigned}
        columns={staffColumns(false)}
        empty="Every open ticket has someone on it."
        allLabel="All unassigned"
      />
      <ListSection
        id="mine-title"
        title="Assigned to me"
        list={view.mine}
        columns={staffColumns(false)}
        empty="No open tickets are assigned to you."
        allLabel="All of mine"
      />
      <ListSection
        id="awaiting-title"
        title="Awaiting staff reply"
        list={view.awaitingStaff}
        columns={staffColumns(true)}
        empty="No client is waiting for an answer."
        allLabel="All awaiting staff reply"
      />
      {view.signals && (
        <section class="card section" aria-labelledby="security-title">
          <h2 id="security-title">Security</h2>
          <ul class="home-stats home-stats--signals">
            {view.signals.map((s) => (
              <Stat key={s.label} {...s} />
            ))}
          </ul>
        </section>
      )}
      <p class="muted small section">
        Oldest waiting first: “Waiting” is the time since a ticket’s last activity. {COUNT_CAP_NOTE}
      </p>
    </>
  );
}

export function HomePage({ ctx, view }: { ctx: PageContext; view: HomeView }) {
  return (
    <Layout ctx={ctx} title="Home">
      <Greeting ctx={ctx} primary={view.kind === 'client'} />
      {view.kind === 'client' ? <ClientHome view={view} /> : <StaffHome view={view} />}
    </Layout>
  );
}
