import { AuthCard } from '../../views/components/auth-card.tsx';
import { CsrfField } from '../../views/components/forms.tsx';
import type { PageContext } from '../../views/context.ts';

/** The page behind the emailed unlock link: a GET only shows it, the button (a CSRF-protected POST) acts. */
export function UnlockConfirmPage({ ctx, token }: { ctx: PageContext; token: string }) {
  return (
    <AuthCard ctx={ctx} title="Unlock sign-in" id="unlock">
      <p>
        Sign-in to your account was paused after several wrong passwords. Lift the pause now so you can sign in from any
        browser.
      </p>
      <form method="post" action={`/unlock/${token}`} class="stack">
        <CsrfField token={ctx.csrfToken} />
        <button type="submit" class="button button--primary button--block">
          Unlock sign-in
        </button>
      </form>
      <p class="muted">If the wrong passwords were not yours, consider changing your password after signing in.</p>
    </AuthCard>
  );
}
