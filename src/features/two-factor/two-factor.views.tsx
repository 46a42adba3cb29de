import { AuthCard, SignOutButton } from '../../views/components/auth-card.tsx';
import { Alert, CsrfField, Field } from '../../views/components/forms.tsx';
import { CurrentPasswordField } from '../../views/components/password-fields.tsx';
import { When } from '../../views/components/time.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';

function CodeField({
  error,
  label = 'Authentication code',
  name = 'code',
  autofocus = true,
}: {
  error?: string | undefined;
  label?: string;
  name?: string;
  autofocus?: boolean;
}) {
  return (
    <Field
      label={label}
      name={name}
      inputMode="numeric"
      autocomplete="one-time-code"
      required
      maxLength={20}
      hint="The 6-digit code from your authenticator app, or one of your recovery codes."
      error={error}
      autofocus={autofocus}
    />
  );
}

export interface SetupProps {
  ctx: PageContext;
  qrDataUri: string;
  secretGrouped: string;
  uri: string;
  sealed: string;
  error?: string | undefined;
  /** Replacing an existing authenticator from the account page: the old factor and the password are asked too. */
  replacing: boolean;
  passwordError?: string | undefined;
  oldCodeError?: string | undefined;
  /** The first setup only: where to go after the recovery codes (a safe path; `/` is left out of the form). */
  next?: string;
}

export function TwoFactorSetupPage(props: SetupProps) {
  const { ctx } = props;
  return (
    <AuthCard
      ctx={ctx}
      title="Set up two-factor authentication"
      heading={props.replacing ? 'Set up a new authenticator' : undefined}
      id="setup"
    >
      <p>
        {props.replacing
          ? 'Scan this new code with your authenticator app. Your old app stops working once you confirm.'
          : 'Every account is protected by a code from an authenticator app (such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis). Scan the QR code with your app, then enter the code it shows.'}
      </p>
      <figure class="qr">
        <img
          src={props.qrDataUri}
          alt="QR code to add this account to your authenticator app"
          width="200"
          height="200"
        />
      </figure>
      <details class="secret-details">
        <summary>Can’t scan? Enter the key by hand</summary>
        <p class="muted">Choose “time-based” if your app asks.</p>
        <p>
          <code class="secret" aria-label="Setup key">
            {props.secretGrouped}
          </code>
        </p>
        <p class="muted small">
          Or open this link on the device with your app: <a href={props.uri}>otpauth link</a>
        </p>
      </details>
      {props.error && <Alert kind="error">{props.error}</Alert>}
      <form
        method="post"
        action={props.replacing ? '/account/two-factor/setup' : '/two-factor/setup'}
        class="stack"
        novalidate
      >
        <CsrfField token={ctx.csrfToken} />
        <input type="hidden" name="sealed" value={props.sealed} />
        {!props.replacing && props.next && props.next !== '/' && <input type="hidden" name="next" value={props.next} />}
        {props.replacing && (
          <>
            <CurrentPasswordField error={props.passwordError} />
            <CodeField
              label="Code from your current app (or a recovery code)"
              name="old_code"
              error={props.oldCodeError}
              autofocus={false}
            />
          </>
        )}
        <Field
          label={props.replacing ? 'Code from the new app' : 'Code from your app'}
          name="code"
          inputMode="numeric"
          autocomplete="one-time-code"
          required
          maxLength={6}
          autofocus={!props.replacing}
        />
        <button type="submit" class="button button--primary button--block">
          Turn on two-factor authentication
        </button>
      </form>
      {!props.replacing && <SignOutButton token={ctx.csrfToken} />}
    </AuthCard>
  );
}

export function RecoveryCodesPage({
  ctx,
  codes,
  continueHref,
}: {
  ctx: PageContext;
  codes: string[];
  continueHref: string;
}) {
  const file = `Parapet recovery codes\nEach code works once, in place of a code from your authenticator app.\n\n${codes.join('\n')}\n`;
  return (
    <AuthCard ctx={ctx} title="Your recovery codes" heading="Save your recovery codes" id="codes">
      <p>
        If you lose your phone, each of these codes lets you sign in once instead of a code from your app.{' '}
        <strong>This is the only time they are shown.</strong> Keep them somewhere safe, such as a password manager.
      </p>
      <ol class="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <p>
        <a
          class="button"
          href={`data:text/plain;charset=utf-8,${encodeURIComponent(file)}`}
          download="parapet-recovery-codes.txt"
        >
          Download as .txt
        </a>
      </p>
      <p>
        <a class="button button--primary button--block" href={continueHref}>
          I have saved my codes — continue
        </a>
      </p>
    </AuthCard>
  );
}

export function TwoFactorCodePage({ ctx, error, next }: { ctx: PageContext; error?: string; next: string }) {
  return (
    <AuthCard ctx={ctx} title="Two-factor authentication" heading="Enter your code" id="code">
      <p class="muted">Open your authenticator app and enter the code it shows for Parapet.</p>
      {error && <Alert kind="error">{error}</Alert>}
      <form method="post" action="/login/two-factor" class="stack" novalidate>
        <CsrfField token={ctx.csrfToken} />
        {next !== '/' && <input type="hidden" name="next" value={next} />}
        <CodeField />
        <button type="submit" class="button button--primary button--block">
          Verify
        </button>
      </form>
      <SignOutButton token={ctx.csrfToken} label="Cancel and sign out" />
    </AuthCard>
  );
}

export function ReauthPage({
  ctx,
  needsCode,
  next,
  error,
}: {
  ctx: PageContext;
  needsCode: boolean;
  next: string;
  error?: string;
}) {
  return (
    <AuthCard ctx={ctx} title="Confirm it’s you" id="reauth">
      <p class="muted">
        You signed in a while ago. Before changing security settings, enter your password
        {needsCode ? ' and a code' : ''} again.
      </p>
      {error && <Alert kind="error">{error}</Alert>}
      <form method="post" action="/reauth" class="stack" novalidate>
        <CsrfField token={ctx.csrfToken} />
        <input type="hidden" name="next" value={next} />
        <CurrentPasswordField label="Password" name="password" autofocus />
        {needsCode && <CodeField autofocus={false} />}
        <button type="submit" class="button button--primary button--block">
          Continue
        </button>
      </form>
    </AuthCard>
  );
}

export function TwoFactorAccountPage(props: {
  ctx: PageContext;
  enabledAt: number | null;
  remaining: number;
  error?: string | undefined;
  passwordError?: string | undefined;
  codeError?: string | undefined;
}) {
  const { ctx } = props;
  return (
    <Layout ctx={ctx} title="Two-factor authentication">
      <p class="breadcrumb">
        <a href="/account">Account</a>
      </p>
      <h1>Two-factor authentication</h1>
      <div class="grid-2">
        <section class="card" aria-labelledby="status-title">
          <h2 id="status-title">Authenticator app</h2>
          {props.enabledAt ? (
            <p>
              On since <When ms={props.enabledAt} />. You have <strong>{props.remaining}</strong> unused recovery code
              {props.remaining === 1 ? '' : 's'}.
            </p>
          ) : (
            <p>Not set up yet.</p>
          )}
          <p>
            <a class="button" href="/account/two-factor/setup">
              {props.enabledAt ? 'Set up a new authenticator' : 'Set up an authenticator'}
            </a>
          </p>
        </section>
        {props.enabledAt && (
          <section class="card" aria-labelledby="codes-title">
            <h2 id="codes-title">New recovery codes</h2>
            <p class="muted">Makes ten new codes and voids every old one.</p>
            {props.error && <Alert kind="error">{props.error}</Alert>}
            <form method="post" action="/account/two-factor/recovery-codes" class="stack" novalidate>
              <CsrfField token={ctx.csrfToken} />
              <CurrentPasswordField error={props.passwordError} />
              <CodeField error={props.codeError} autofocus={false} />
              <button type="submit" class="button button--primary">
                Make new recovery codes
              </button>
            </form>
          </section>
        )}
      </div>
    </Layout>
  );
}
