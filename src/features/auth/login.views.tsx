import { AuthCard, AuthCardFooter } from '../../views/components/auth-card.tsx';
import { Alert, CsrfField, EmailField } from '../../views/components/forms.tsx';
import { CurrentPasswordField } from '../../views/components/password-fields.tsx';
import type { PageContext } from '../../views/context.ts';
import { waitInWords } from '../../lib/errors.ts';
import type { LockoutNotice } from './login.service.ts';

export interface LoginForm {
  email?: string;
  next?: string;
  error?: string;
  /** Near or at a pause of sign-in (the same for every email, known or not). */
  notice?: LockoutNotice | null;
}

function attempts(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`;
}

/** The warning under a wrong password, in words. */
export function lockoutNoticeText(notice: LockoutNotice): string {
  if (notice.pausedMs > 0) {
    return `Sign-in is now paused. Try again in ${waitInWords(notice.pausedMs / 1000)}, or reset your password.`;
  }
  return `${attempts(notice.attemptsLeft)} left before sign-in is paused for ${waitInWords(notice.pauseMs / 1000)}.`;
}

export function LoginPage({ ctx, form }: { ctx: PageContext; form: LoginForm }) {
  return (
    <AuthCard ctx={ctx} title="Sign in" id="login">
      <p class="muted">Sign in to open and follow your support tickets.</p>
      {form.error && <Alert kind="error">{form.error}</Alert>}
      {form.notice && <Alert kind="info">{lockoutNoticeText(form.notice)}</Alert>}
      <form method="post" action="/login" class="stack" novalidate>
        <CsrfField token={ctx.csrfToken} />
        {form.next && form.next !== '/' && <input type="hidden" name="next" value={form.next} />}
        <EmailField label="Email" value={form.email} autocomplete="username" autofocus={!form.email} />
        <CurrentPasswordField label="Password" name="password" autofocus={Boolean(form.email)} />
        <p class="field-link">
          <a href="/forgot-password">Forgot password?</a>
        </p>
        <button type="submit" class="button button--primary button--block">
          Sign in
        </button>
      </form>
      <AuthCardFooter>
        New here? <a href="/register">Create an account</a>
      </AuthCardFooter>
    </AuthCard>
  );
}

/** Sign-in is paused (too many wrong passwords for this email, or from this network): when to come back, and ways out. */
export function LockoutPage({ ctx, retryMs, next }: { ctx: PageContext; retryMs: number; next: string }) {
  const back = next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
  return (
    <AuthCard ctx={ctx} title="Sign-in paused" id="lockout">
      <Alert kind="info">Too many attempts to sign in. Try again in {waitInWords(retryMs / 1000)}.</Alert>
      <p>
        This pause protects accounts from password guessing. If you have forgotten your password, reset it: a completed
        reset also lifts the pause for your email address.
      </p>
      <p>
        <a class="button button--primary button--block" href="/forgot-password">
          Forgot your password?
        </a>
      </p>
      <AuthCardFooter>
        <a href={back}>Back to sign in</a>
      </AuthCardFooter>
    </AuthCard>
  );
}
