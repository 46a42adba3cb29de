import { Alert, CsrfField, Field } from '../../views/components/forms.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import { InvalidLinkPage } from './accounts.views.tsx';

export function InvitationPage({
  ctx,
  token,
  error,
  minLength,
}: {
  ctx: PageContext;
  token: string;
  error?: string;
  minLength: number;
}) {
  return (
    <Layout ctx={ctx} title="Choose your password" narrow>
      <section class="card auth-card" aria-labelledby="invite-title">
        <h1 id="invite-title">Welcome! Choose your password</h1>
        {error && <Alert kind="error">{error}</Alert>}
        <form method="post" action="/invitation" class="stack" novalidate>
          <CsrfField token={ctx.csrfToken} />
          <input type="hidden" name="token" value={token} />
          <Field
            label="Password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            maxLength={1024}
            hint={`At least ${minLength} characters. Long phrases are best.`}
            strength
          />
          <Field
            label="Confirm password"
            name="password_confirm"
            type="password"
            autocomplete="new-password"
            required
            maxLength={1024}
          />
          <button type="submit" class="button button--primary button--block">
            Set password
          </button>
        </form>
      </section>
    </Layout>
  );
}

export function InvalidInvitationPage({ ctx }: { ctx: PageContext }) {
  return InvalidLinkPage({
    ctx,
    message:
      'This invitation link is invalid, has already been used, or has expired. Ask your administrator for a new one, or reset your password.',
    actionHref: '/forgot-password',
    actionLabel: 'Reset password',
  });
}
