import { AuthCard, AuthCardFooter, SignOutButton } from '../../views/components/auth-card.tsx';
import { Alert, CsrfField, EmailField } from '../../views/components/forms.tsx';
import { CurrentPasswordField, NewPasswordFields } from '../../views/components/password-fields.tsx';
import { type Column, DataTable } from '../../views/components/table.tsx';
import { When } from '../../views/components/time.tsx';
import { Select } from '../../views/components/select.tsx';
import { formatExact } from '../../lib/time.ts';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import type { AccountErrors, SessionRow } from './account.service.ts';

type FieldErrors = Partial<Record<string, string>>;

export function RegisterPage({
  ctx,
  email,
  errors,
  minLength,
}: {
  ctx: PageContext;
  email: string;
  errors: FieldErrors;
  minLength: number;
}) {
  return (
    <AuthCard ctx={ctx} title="Create account" heading="Create your account" id="register">
      <p class="muted">You will confirm your email address before you can use the portal.</p>
      {errors.form && <Alert kind="error">{errors.form}</Alert>}
      <form method="post" action="/register" class="stack" novalidate>
        <CsrfField token={ctx.csrfToken} />
        <EmailField label="Email" value={email} autocomplete="email" error={errors.email} autofocus={!email} />
        <NewPasswordFields minLength={minLength} errors={errors} />
        <button type="submit" class="button button--primary button--block">
          Create account
        </button>
      </form>
      <AuthCardFooter>
        Already have an account? <a href="/login">Sign in</a>
      </AuthCardFooter>
    </AuthCard>
  );
}

export function CheckEmailPage({ ctx, title, message }: { ctx: PageContext; title: string; message: string }) {
  return (
    <AuthCard ctx={ctx} title={title} id="check">
      <p>{message}</p>
      <p class="muted">Nothing arrived after a few minutes? Check your spam folder.</p>
      <p>
        <a href="/login">Back to sign in</a>
      </p>
    </AuthCard>
  );
}

export function VerifyPendingPage({ ctx, email }: { ctx: PageContext; email: string }) {
  return (
    <AuthCard ctx={ctx} title="Verify your email" id="verify">
      <p>
        Before you can use the portal, confirm your address with the link we sent to <strong>{email}</strong>.
      </p>
      <form method="post" action="/verify-email/resend" class="stack">
        <CsrfField token={ctx.csrfToken} />
        <button type="submit" class="button button--primary button--block">
          Send a new link
        </button>
      </form>
      <SignOutButton token={ctx.csrfToken} class="stack auth-card__footer" />
    </AuthCard>
  );
}

/** The page an emailed link opens: a button that POSTs, so merely fetching the link (mail scanners) changes nothing. */
export function ConfirmTokenPage(props: {
  ctx: PageContext;
  title: string;
  message: string;
  action: string;
  token: string;
  button: string;
}) {
  return (
    <AuthCard ctx={props.ctx} title={props.title} id="confirm">
      <p>{props.message}</p>
      <form method="post" action={props.action} class="stack">
        <CsrfField token={props.ctx.csrfToken} />
        <input type="hidden" name="token" value={props.token} />
        <button type="submit" class="button button--primary button--block">
          {props.button}
        </button>
      </form>
    </AuthCard>
  );
}

export function InvalidLinkPage({
  ctx,
  message,
  actionHref,
  actionLabel,
}: {
  ctx: PageContext;
  message: string;
  actionHref: string;
  actionLabel: string;
}) {
  return (
    <AuthCard ctx={ctx} title="Link not valid" heading="This link is not valid" id="invalid">
      <p>{message}</p>
      <p>
        <a class="button button--primary" href={actionHref}>
          {actionLabel}
        </a>
      </p>
    </AuthCard>
  );
}

export function ForgotPasswordPage({ ctx, email, error }: { ctx: PageContext; email: string; error?: string }) {
  return (
    <AuthCard ctx={ctx} title="Forgot password" heading="Reset your password" id="forgot">
      <p class="muted">Enter the email address of your account and we will send you a link to choose a new password.</p>
      <form method="post" action="/forgot-password" class="stack" novalidate>
        <CsrfField token={ctx.csrfToken} />
        <EmailField label="Email" value={email} autocomplete="email" error={error} autofocus />
        <button type="submit" class="button button--primary button--block">
          Send reset link
        </button>
      </form>
      <AuthCardFooter>
        <a href="/login">Back to sign in</a>
      </AuthCardFooter>
    </AuthCard>
  );
}

export function ResetPasswordPage({
  ctx,
  token,
  errors,
  minLength,
}: {
  ctx: PageContext;
  token: string;
  errors: FieldErrors;
  minLength: number;
}) {
  return (
    <AuthCard ctx={ctx} title="Choose a new password" id="reset">
      {errors.form && <Alert kind="error">{errors.form}</Alert>}
      <form method="post" action="/reset-password" class="stack" novalidate>
        <CsrfField token={ctx.csrfToken} />
        <input type="hidden" name="token" value={token} />
        <NewPasswordFields minLength={minLength} errors={errors} label="New password" />
        <button type="submit" class="button button--primary button--block">
          Change password
        </button>
      </form>
    </AuthCard>
  );
}

function sessionColumns(csrfToken: string, zone: string): Column<SessionRow>[] {
  return [
    {
      label: 'Device',
      cell: (s) => (
        <>
          {s.device} {s.current && <span class="badge badge--current">This session</span>}
        </>
      ),
    },
    { label: 'IP address', cell: (s) => s.ip },
    { label: 'Signed in', cell: (s) => <When ms={s.createdAt} /> },
    { label: 'Last seen', cell: (s) => <When ms={s.lastSeenAt} /> },
    {
      label: 'Actions',
      hiddenLabel: true,
      cell: (s) =>
        !s.current && (
          <form method="post" action={`/account/sessions/${s.ref}/revoke`} class="inline-form">
            <CsrfField token={csrfToken} />
            <button type="submit" class="button button--ghost">
              {/* Named in full for screen readers: several sessions can share a device name. */}
              Sign out
              <span class="visually-hidden"> {`${s.device}, signed in ${formatExact(s.createdAt, zone)}`}</span>
            </button>
          </form>
        ),
    },
  ];
}

export function AccountPage(props: {
  ctx: PageContext;
  sessions: SessionRow[];
  errors: AccountErrors;
  emailValue: string;
  minLength: number;
  pendingEmail: string | null;
  recoveryCodesLeft: number;
  /** Every zone the select offers. */
  timeZones: string[];
}) {
  const { ctx, errors } = props;
  const user = ctx.user;
  if (!user) {
    return (
      <Layout ctx={ctx} title="Account">
        {null}
      </Layout>
    );
  }
  return (
    <Layout ctx={ctx} title="Your account">
      <h1>Your account</h1>
      <div class="grid-2">
        <section class="card" aria-labelledby="pw-title">
          <h2 id="pw-title">Change password</h2>
          <p class="muted">Changing your password signs out every other session.</p>
          {errors.passwordForm && <Alert kind="error">{errors.passwordForm}</Alert>}
          <form method="post" action="/account/password" class="stack" novalidate>
            <CsrfField token={ctx.csrfToken} />
            <CurrentPasswordField error={errors.current_password} />
            <NewPasswordFields minLength={props.minLength} errors={errors} label="New password" />
            <button type="submit" class="button button--primary">
              Change password
            </button>
          </form>
        </section>
        <section class="card" aria-labelledby="email-title">
          <h2 id="email-title">Email address</h2>
          <p>
            Your address is <strong>{user.email}</strong>.
          </p>
          {props.pendingEmail && (
            <Alert kind="info">
              We sent a confirmation link to <strong>{props.pendingEmail}</strong>. Your address changes once you follow
              it.
            </Alert>
          )}
          {errors.emailForm && <Alert kind="error">{errors.emailForm}</Alert>}
          <form method="post" action="/account/email" class="stack" novalidate>
            <CsrfField token={ctx.csrfToken} />
            <EmailField label="New email address" value={props.emailValue} autocomplete="email" error={errors.email} />
            {/* Its own id: the password form above has a current_password field too. */}
            <CurrentPasswordField id="f-email-current_password" error={errors.email_password} />
            <button type="submit" class="button button--primary">
              Change email
            </button>
          </form>
        </section>
      </div>
      <div class="grid-2 section">
        <section class="card" aria-labelledby="tfa-title">
          <h2 id="tfa-title">Two-factor authentication</h2>
          <p>
            {user.totp_enabled_at ? (
              <>
                On, with <strong>{props.recoveryCodesLeft}</strong> unused recovery code
                {props.recoveryCodesLeft === 1 ? '' : 's'}.
              </>
            ) : (
              'Not set up yet.'
            )}
          </p>
          <p>
            <a class="button" href="/account/two-factor">
              Manage two-factor authentication
            </a>
          </p>
        </section>
        <section class="card" aria-labelledby="notify-title">
          <h2 id="notify-title">Ticket emails</h2>
          <p class="muted">
            {user.notify_tickets
              ? 'You get an email when there is news on your tickets.'
              : 'You do not get emails about tickets.'}
          </p>
          <form method="post" action="/account/notifications">
            <CsrfField token={ctx.csrfToken} />
            <input type="hidden" name="notify_tickets" value={user.notify_tickets ? '0' : '1'} />
            <button type="submit" class="button">
              {user.notify_tickets ? 'Turn ticket emails off' : 'Turn ticket emails on'}
            </button>
          </form>
        </section>
      </div>
      <section class="card section" aria-labelledby="tz-title">
        <h2 id="tz-title">Time zone</h2>
        <p class="muted">
          {user.time_zone
            ? 'Times on every page and in your emails are shown in this zone.'
            : `Not chosen yet: times are shown in ${ctx.timeZone}${ctx.timeZone === 'UTC' ? '' : ', as your browser reports'}.`}{' '}
          It is now {formatExact(ctx.now, ctx.timeZone)}.
        </p>
        <form method="post" action="/account/time-zone" class="stack" data-time-zone-form>
          <CsrfField token={ctx.csrfToken} />
          <Select
            label="Time zone"
            name="time_zone"
            value={user.time_zone ?? ctx.timeZone}
            options={props.timeZones.map((z) => ({ value: z, label: z.replace(/_/g, ' ') }))}
            error={errors.time_zone}
          />
          <div class="action-row">
            <button type="submit" class="button button--primary">
              Save time zone
            </button>
            {/* Shown by app.js: it chooses the browser's zone in the list (saving stays a click away). */}
            <button type="button" class="button" data-detect-time-zone hidden>
              Detect from this browser
            </button>
          </div>
        </form>
      </section>
      <section class="card section" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Where you are signed in</h2>
        <DataTable columns={sessionColumns(ctx.csrfToken, ctx.timeZone)} rows={props.sessions} rowKey={(s) => s.ref} />
        {props.sessions.length > 1 && (
          <form method="post" action="/account/sessions/revoke-others" class="section">
            <CsrfField token={ctx.csrfToken} />
            <button type="submit" class="button">
              Sign out everywhere else
            </button>
          </form>
        )}
      </section>
    </Layout>
  );
}
