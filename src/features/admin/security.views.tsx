import { CsrfField } from '../../views/components/forms.tsx';
import { Pagination } from '../../views/components/pagination.tsx';
import { When } from '../../views/components/time.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import type { AuditRow } from './admin.repository.ts';
import type { AuditQuery } from './admin.schemas.ts';
import type { FailedIpRow } from './security.service.ts';

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
        Failed password and code attempts of the last {windowDays} days, grouped by IP address, most recent first. Times
        are UTC.
      </p>
      {rows.length === 0 ? (
        <p>No failed sign-ins. </p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">IP address</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last attempt</th>
                <th scope="col">Locked until</th>
                <th scope="col">Accounts tried</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.ip}>
                  <td data-label="IP address">
                    <code>{r.ip}</code>
                  </td>
                  <td data-label="Attempts">{r.attempts}</td>
                  <td data-label="Last attempt">
                    <When ms={r.lastAttempt} />
                  </td>
                  <td data-label="Locked until">
                    {r.lockedUntil ? <When ms={r.lockedUntil} /> : <span class="muted">Not locked</span>}
                  </td>
                  <td data-label="Accounts tried">
                    <ul class="plain-list">
                      {r.emails.map((e) => (
                        <li key={e}>{e}</li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    {r.lockedUntil && (
                      <form method="post" action="/admin/failed-logins/unlock" class="inline-form">
                        <CsrfField token={ctx.csrfToken} />
                        <input type="hidden" name="ip" value={r.ip} />
                        <button type="submit" class="button button--ghost">
                          Unlock<span class="visually-hidden"> {r.ip}</span>
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination base="/admin/failed-logins" params={{}} page={page} hasNext={hasNext} />
    </Layout>
  );
}

function Details({ json }: { json: string }) {
  let entries: Array<[string, unknown]>;
  try {
    entries = Object.entries(JSON.parse(json) as Record<string, unknown>);
  } catch {
    return <span class="muted">—</span>;
  }
  if (entries.length === 0) {
    return <span class="muted">—</span>;
  }
  return (
    <dl class="kv">
      {entries.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>
            {v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean)}
          </dd>
        </>
      ))}
    </dl>
  );
}

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
  rows: AuditRow[];
  q: AuditQuery;
  page: number;
  hasNext: boolean;
  events: string[];
  retentionDays: number;
}) {
  return (
    <Layout ctx={ctx} title="Audit log">
      <h1>Audit log</h1>
      <p class="muted">Security events, newest first, kept for {retentionDays} days. Times are UTC.</p>
      <form method="get" action="/admin/audit" class="filters card" role="search" aria-label="Filter the audit log">
        <div>
          <label for="event">Event</label>
          <select id="event" name="event">
            <option value="">Any</option>
            {events.map((e) => (
              <option value={e} selected={q.event === e}>
                {e}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="user">User email</label>
          <input id="user" name="user" type="search" value={q.user ?? ''} maxLength={254} />
        </div>
        <div>
          <label for="ip">IP address</label>
          <input id="ip" name="ip" type="search" value={q.ip ?? ''} maxLength={64} />
        </div>
        <div>
          <label for="from">From</label>
          <input id="from" name="from" type="date" value={q.from ?? ''} />
        </div>
        <div>
          <label for="to">To</label>
          <input id="to" name="to" type="date" value={q.to ?? ''} />
        </div>
        <div class="filters__actions">
          <button type="submit" class="button">
            Apply
          </button>
          <a href="/admin/audit">Clear</a>
        </div>
      </form>
      {rows.length === 0 ? (
        <p class="muted">No events match.</p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">IP</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td data-label="Time">
                    <When ms={r.created_at} />
                  </td>
                  <td data-label="Event">
                    <code>{r.event}</code>
                  </td>
                  <td data-label="Actor">{r.actor_email ?? <span class="muted">—</span>}</td>
                  <td data-label="Target">{r.target_email ?? <span class="muted">—</span>}</td>
                  <td data-label="IP">{r.ip ?? <span class="muted">—</span>}</td>
                  <td data-label="Details" title={r.user_agent ?? undefined}>
                    <Details json={r.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        base="/admin/audit"
        params={{ event: q.event, user: q.user, ip: q.ip, from: q.from, to: q.to }}
        page={page}
        hasNext={hasNext}
      />
    </Layout>
  );
}
