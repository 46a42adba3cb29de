import type { User } from '../../db/database.ts';
import { ROLES } from '../../db/database.ts';
import { RoleBadge, ROLE_LABEL } from '../../views/components/badge.tsx';
import { FilterForm, FilterInput } from '../../views/components/filters.tsx';
import { ActionButton, Alert, CsrfField, EmailField, Field } from '../../views/components/forms.tsx';
import { Pagination } from '../../views/components/pagination.tsx';
import { Select, type SelectOption } from '../../views/components/select.tsx';
import { type Column, DataTable } from '../../views/components/table.tsx';
import { When } from '../../views/components/time.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import type { UserListRow } from '../users/user.repository.ts';
import type { UserPageActions } from '../users/user.policy.ts';
import { NAME_MAX, type UsersQuery } from './admin.schemas.ts';
import type { DangerAction } from './users.presenter.ts';

const ANY: SelectOption = { value: '', label: 'Any' };
const ROLE_OPTIONS: SelectOption[] = ROLES.map((r) => ({ value: r, label: ROLE_LABEL[r] }));

const userColumns: Column<UserListRow>[] = [
  {
    label: 'Email',
    fit: 'line',
    title: (u) => (u.name ? `${u.email} · ${u.name}` : u.email),
    cell: (u) => (
      <>
        <a href={`/admin/users/${u.id}`}>{u.email}</a>
        {u.name && (
          <span class="muted">
            {' · '}
            <span dir="auto">{u.name}</span>
          </span>
        )}
      </>
    ),
  },
  { label: 'Role', cell: (u) => <RoleBadge role={u.role} /> },
  { label: 'Verified', cell: (u) => (u.email_verified_at ? 'Yes' : 'No') },
  { label: '2FA', cell: (u) => (u.totp_enabled_at ? 'On' : 'Off') },
  {
    label: 'Status',
    cell: (u) => (u.disabled_at ? <span class="status status--disabled">Disabled</span> : 'Active'),
  },
  { label: 'Registered', cell: (u) => <When ms={u.created_at} /> },
  { label: 'Last sign-in', cell: (u) => <When ms={u.last_login_at} /> },
];

export function UsersPage({
  ctx,
  rows,
  q,
  page,
  hasNext,
}: {
  ctx: PageContext;
  rows: UserListRow[];
  q: UsersQuery;
  page: number;
  hasNext: boolean;
}) {
  return (
    <Layout ctx={ctx} title="Users">
      <div class="page-head">
        <h1>Users</h1>
        <a class="button button--primary" href="/admin/users/new">
          Create account
        </a>
      </div>
      <FilterForm action="/admin/users" label="Find users">
        <FilterInput search label="Email or name" name="q" value={q.q} maxLength={254} />
        <Select plain id="role" label="Role" name="role" value={q.role} options={[ANY, ...ROLE_OPTIONS]} />
        <Select
          plain
          id="status"
          label="Status"
          name="status"
          value={q.status}
          options={[
            ANY,
            { value: 'active', label: 'Active' },
            { value: 'disabled', label: 'Disabled' },
            { value: 'unverified', label: 'Email not verified' },
          ]}
        />
      </FilterForm>
      <DataTable columns={userColumns} rows={rows} rowKey={(u) => u.id} empty={<p class="muted">No users match.</p>} />
      <Pagination
        base="/admin/users"
        params={{ q: q.q, role: q.role, status: q.status }}
        page={page}
        hasNext={hasNext}
      />
    </Layout>
  );
}

function RoleSelect({ value, hint }: { value: string; hint?: string }) {
  return <Select label="Role" name="role" value={value} options={ROLE_OPTIONS} hint={hint} />;
}

export interface UserFormValues {
  email: string;
  name: string;
  role: string;
}
export type UserFormErrors = Partial<Record<'email' | 'name' | 'role' | 'form', string>>;

export function NewUserPage({
  ctx,
  values,
  errors,
}: {
  ctx: PageContext;
  values: UserFormValues;
  errors: UserFormErrors;
}) {
  return (
    <Layout ctx={ctx} title="Create account" narrow>
      <section class="card auth-card" aria-labelledby="new-user-title">
        <h1 id="new-user-title">Create an account</h1>
        <p class="muted">
          The person receives an invitation email to choose their own password. Nobody else ever sees it.
        </p>
        {(errors.form ?? errors.role) && <Alert kind="error">{errors.form ?? errors.role}</Alert>}
        <form method="post" action="/admin/users" class="stack" novalidate>
          <CsrfField token={ctx.csrfToken} />
          <EmailField label="Email" value={values.email} error={errors.email} autofocus />
          <Field label="Name (optional)" name="name" value={values.name} maxLength={NAME_MAX} error={errors.name} />
          <RoleSelect value={values.role || 'client'} />
          <button type="submit" class="button button--primary button--block">
            Create and send invitation
          </button>
        </form>
      </section>
    </Layout>
  );
}

function ActionForm(props: { ctx: PageContext; action: string; label: string }) {
  return <ActionButton token={props.ctx.csrfToken} action={props.action} label={props.label} />;
}

/** One row of the danger zone: what the action does, and its button (disabled, with the reason, where it cannot apply). */
function DangerRow({ ctx, item }: { ctx: PageContext; item: DangerAction }) {
  const reasonId = `danger-${item.key}-reason`;
  let control;
  if (item.disabledReason !== undefined) {
    control = (
      <button type="button" class="button button--danger" disabled aria-describedby={reasonId}>
        {item.label}
      </button>
    );
  } else if (item.href) {
    control = (
      <a class="button button--danger" href={item.href}>
        {item.label}
      </a>
    );
  } else {
    control = (
      <ActionButton
        token={ctx.csrfToken}
        action={item.action ?? ''}
        label={item.label}
        class="button button--danger"
        confirm={item.confirm}
      />
    );
  }
  return (
    <li class="danger-zone__item">
      <div>
        <p class="danger-zone__what">{item.description}</p>
        {item.disabledReason !== undefined && (
          <p class="danger-zone__reason" id={reasonId}>
            {item.disabledReason}
          </p>
        )}
      </div>
      {control}
    </li>
  );
}

export function UserPage(props: {
  ctx: PageContext;
  user: User;
  sessions: number;
  ticketCount: number;
  lastAdmin: boolean;
  signIn: { failures: number; pausedMs: number } | null;
  undeliverable: { since: number; reason: string } | null;
  actions: UserPageActions;
  danger: DangerAction[];
  /** Beside the role field: saving another role signs the person out. */
  roleWarning: string;
  awaitsInvitation?: boolean;
  errors: UserFormErrors;
  values?: UserFormValues;
}) {
  const { ctx, user, actions } = props;
  const values = props.values ?? { email: user.email, name: user.name, role: user.role };
  const base = `/admin/users/${user.id}`;
  return (
    <Layout ctx={ctx} title={user.email}>
      <p class="breadcrumb">
        <a href="/admin/users">Users</a>
      </p>
      <div class="page-head">
        <h1>{user.email}</h1>
        <RoleBadge role={user.role} />
      </div>
      <div class="grid-2">
        <section class="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <dl class="details">
            <dt>Status</dt>
            <dd>{user.disabled_at ? 'Disabled' : 'Active'}</dd>
            <dt>Email verified</dt>
            <dd>{user.email_verified_at ? 'Yes' : 'No'}</dd>
            <dt>Two-factor</dt>
            <dd>{user.totp_enabled_at ? 'On' : 'Not set up'}</dd>
            <dt>Registered</dt>
            <dd>
              <When ms={user.created_at} />
            </dd>
            <dt>Last sign-in</dt>
            <dd>
              <When ms={user.last_login_at} />
            </dd>
            <dt>Active sessions</dt>
            <dd>{props.sessions}</dd>
            <dt>Tickets opened as client</dt>
            <dd>{props.ticketCount}</dd>
            <dt>Sign-in</dt>
            <dd>
              {!props.signIn
                ? 'No recent failed attempts'
                : props.signIn.pausedMs > 0
                  ? `Paused for ${Math.ceil(props.signIn.pausedMs / 60_000)} more minute(s) after ${props.signIn.failures} failed attempts`
                  : `${props.signIn.failures} recent failed attempt(s), not paused`}
            </dd>
          </dl>
          {props.undeliverable && (
            <Alert kind="error">
              Email undeliverable since <When ms={props.undeliverable.since} />: {props.undeliverable.reason}. Clear it
              on the <a href="/admin/mail">Mail</a> page once the address works again.
            </Alert>
          )}
          {props.lastAdmin && (
            <Alert kind="info">This is the last active administrator: it cannot be demoted, disabled or deleted.</Alert>
          )}
        </section>
        <section class="card" aria-labelledby="edit-title">
          <h2 id="edit-title">Edit</h2>
          {(props.errors.form ?? props.errors.role) && (
            <Alert kind="error">{props.errors.form ?? props.errors.role}</Alert>
          )}
          <form
            method="post"
            action={base}
            class="stack"
            novalidate
            data-confirm-change="role"
            data-confirm-message={props.roleWarning}
          >
            <CsrfField token={ctx.csrfToken} />
            <EmailField
              label="Email"
              value={values.email}
              error={props.errors.email}
              hint="A new address must be verified again."
            />
            <Field label="Name" name="name" value={values.name} maxLength={NAME_MAX} error={props.errors.name} />
            <RoleSelect value={values.role} hint={props.roleWarning} />
            <button type="submit" class="button button--primary">
              Save
            </button>
          </form>
        </section>
      </div>
      <section class="card section" aria-labelledby="actions-title">
        <h2 id="actions-title">Account</h2>
        <div class="action-row">
          {actions.enable && <ActionForm ctx={ctx} action={`${base}/enable`} label="Enable account" />}
          {actions.resendVerification && (
            <ActionForm
              ctx={ctx}
              action={`${base}/resend-verification`}
              label={props.awaitsInvitation ? 'Resend invitation' : 'Resend verification email'}
            />
          )}
          {actions.unlock && (
            <ActionForm
              ctx={ctx}
              action={`${base}/unlock`}
              label={props.signIn && props.signIn.pausedMs > 0 ? 'Unlock sign-in' : 'Clear failed sign-ins'}
            />
          )}
          {!actions.enable && !actions.resendVerification && !actions.unlock && (
            <p class="muted">
              Nothing to do here: the account is active, its address verified, its sign-in not paused.
            </p>
          )}
        </div>
      </section>
      <section class="card section danger-zone" aria-labelledby="danger-title">
        <h2 id="danger-title">Danger zone</h2>
        <ul class="danger-zone__list">
          {props.danger.map((item) => (
            <DangerRow key={item.key} ctx={ctx} item={item} />
          ))}
        </ul>
      </section>
    </Layout>
  );
}

export function DeleteUserPage({ ctx, user, ticketCount }: { ctx: PageContext; user: User; ticketCount: number }) {
  return (
    <Layout ctx={ctx} title="Delete user" narrow>
      <section class="card auth-card" aria-labelledby="delete-user-title">
        <h1 id="delete-user-title">Delete {user.email}?</h1>
        <p>The account, its sessions and its settings are deleted. This cannot be undone.</p>
        <form method="post" action={`/admin/users/${user.id}/delete`} class="stack">
          <CsrfField token={ctx.csrfToken} />
          <fieldset class="choices">
            <legend>
              Their {ticketCount} ticket{ticketCount === 1 ? '' : 's'}
            </legend>
            <div class="checkbox">
              <input type="radio" id="t-keep" name="tickets" value="keep" checked />
              <label for="t-keep">Keep them, owned by an anonymous “Deleted user”</label>
            </div>
            <div class="checkbox">
              <input type="radio" id="t-delete" name="tickets" value="delete" />
              <label for="t-delete">Delete them too</label>
            </div>
          </fieldset>
          <button type="submit" class="button button--danger button--block">
            Delete the account
          </button>
        </form>
        <p class="auth-card__footer">
          <a href={`/admin/users/${user.id}`}>Keep it</a>
        </p>
      </section>
    </Layout>
  );
}
