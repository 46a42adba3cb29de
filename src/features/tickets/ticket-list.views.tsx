import type { User } from '../../db/database.ts';
import { FilterForm, FilterInput } from '../../views/components/filters.tsx';
import { Pagination } from '../../views/components/pagination.tsx';
import { Select, type SelectOption } from '../../views/components/select.tsx';
import { type Column, DataTable } from '../../views/components/table.tsx';
import { When } from '../../views/components/time.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import { PriorityBadge, StatusBadge } from './ticket-badges.tsx';
import {
  categoryOptions,
  listSummary,
  pageLabel,
  PRIORITY_OPTIONS,
  staffOptions,
  STATUS_OPTIONS,
  type TicketRowView,
} from './ticket.presenter.ts';
import type { ListQuery } from './ticket.schemas.ts';

interface ListPageProps {
  ctx: PageContext;
  /** Staff see every ticket, the client and assignee columns and the staff filters. */
  staff: boolean;
  rows: TicketRowView[];
  total: number;
  capped: boolean;
  page: number;
  query: ListQuery;
  staffMembers: Array<Pick<User, 'id' | 'email' | 'name'>>;
  categories: string[];
}

const ANY: SelectOption = { value: '', label: 'Any' };

function Filters({
  staff,
  query,
  staffMembers,
  categories,
}: Pick<ListPageProps, 'staff' | 'query' | 'staffMembers' | 'categories'>) {
  const filtered = Boolean(query.q || query.status || query.priority || query.category || query.assignee);
  return (
    <FilterForm action="/tickets" label="Filter tickets" clear={filtered && '/tickets'}>
      <FilterInput
        search
        label="Search"
        name="q"
        value={query.q}
        maxLength={200}
        hint="Whole words in subjects and messages, all of them; end a word with * for words that begin with it (pay* finds payment)."
      />
      <Select
        plain
        id="status"
        label="Status"
        name="status"
        value={query.status}
        options={[ANY, { value: 'open', label: 'Open (not resolved)' }, ...STATUS_OPTIONS]}
      />
      {staff && (
        <>
          <Select
            plain
            id="assignee"
            label="Assignee"
            name="assignee"
            value={query.assignee}
            options={[
              { value: '', label: 'Anyone' },
              { value: 'me', label: 'Assigned to me' },
              { value: 'none', label: 'Unassigned' },
              ...staffOptions(staffMembers),
            ]}
          />
          <Select
            plain
            id="priority"
            label="Priority"
            name="priority"
            value={query.priority}
            options={[ANY, ...PRIORITY_OPTIONS]}
          />
          <Select
            plain
            id="category"
            label="Category"
            name="category"
            value={query.category}
            options={[ANY, ...categoryOptions(categories)]}
          />
        </>
      )}
    </FilterForm>
  );
}

function ticketColumns(staff: boolean): Column<TicketRowView>[] {
  return [
    {
      label: 'Ticket',
      fit: 'wrap',
      cell: (t) => (
        <a href={t.href} class="ticket-link">
          <span class="ticket-number">{t.number}</span> <span dir="auto">{t.subject}</span>
        </a>
      ),
    },
    { label: 'Status', cell: (t) => <StatusBadge status={t.status} /> },
    { label: 'Priority', cell: (t) => <PriorityBadge priority={t.priority} /> },
    ...(staff
      ? [
          { label: 'Client', fit: 'line' as const, cell: (t: TicketRowView) => t.client },
          {
            label: 'Assignee',
            fit: 'line' as const,
            cell: (t: TicketRowView) => t.assignee ?? <span class="muted">Unassigned</span>,
          },
        ]
      : []),
    { label: 'Updated', cell: (t) => <When ms={t.updatedAt} /> },
  ];
}

function TicketTable({ staff, rows }: { staff: boolean; rows: TicketRowView[] }) {
  // The summary above the table already says that nothing matches.
  return (
    <DataTable class="ticket-table" columns={ticketColumns(staff)} rows={rows} rowKey={(t) => t.id} empty={null} />
  );
}

export function TicketListPage(props: ListPageProps) {
  const { ctx, staff, rows, query } = props;
  const filtered = Boolean(query.q || query.status || query.priority || query.category || query.assignee);
  const pages = pageLabel(props);
  return (
    <Layout ctx={ctx} title="Tickets">
      <div class="page-head">
        <h1>{staff ? 'All tickets' : 'Your tickets'}</h1>
        <a class="button button--primary" href="/tickets/new">
          New ticket
        </a>
      </div>
      <Filters staff={staff} query={query} staffMembers={props.staffMembers} categories={props.categories} />

      <p class="muted" aria-live="polite">
        {listSummary({ total: props.total, capped: props.capped, page: props.page, filtered, staff })}
      </p>

      <TicketTable staff={staff} rows={rows} />

      <Pagination
        base="/tickets"
        params={{ ...query }}
        page={props.page}
        hasNext={pages.hasNext}
        label={pages.label}
        prevLabel="← Newer"
        nextLabel="Older →"
      />
    </Layout>
  );
}
