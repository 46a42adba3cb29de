import type { Role } from '../../db/database.ts';
import { ROLE_LABEL } from '../../views/components/badge.tsx';
import { Alert, CsrfField, Field } from '../../views/components/forms.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import { InvalidLinkPage } from './accounts.views.tsx';

const ROLE_ARTICLE: Record<Role, string> = { client: 'a', agent: 'an', administrator: 'an' };
const ROLE_MEANS: Record<Role, string> = {
  client: 'You can open support tickets and follow their answers.',
  agent: 'You will answer the support tickets of clients.',
  administrator: 'You will manage the accounts, mail and security of the portal.',
};

export function InvitationPage({
  ctx,
  token,
  invitation,
  error,
  minLength,
}: {
  ctx: PageContext;
  token: string;
  /** Whom the link is for: the page says so before anyone chooses a password. */
  invitation: { email: string; role: Role };
  error?: string;
  minLength: number;
}) {
  return (
    <Layout ctx={ctx} title="Choose your password" narrow>
      <section class="card auth-card" aria-labelledby="invite-title">
        <h1 id="invite-title">Welcome! Choose your password</h1>
        <p>
          You are invited to {ctx.productName} as {ROLE_ARTICLE[invitation.role]}{' '}
          <strong>{ROLE_LABEL[invitation.role]}</strong>, for <strong>{invitation.email}</strong>.
        </p>
        <p class="muted">{ROLE_MEANS[invitation.role]}</p>
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
