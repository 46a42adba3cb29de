import { AuthCard, AuthCardFooter } from '../../views/components/auth-card.tsx';
import { Alert, CsrfField, EmailField } from '../../views/components/forms.tsx';
import { CurrentPasswordField } from '../../views/components/password-fields.tsx';
import type { PageContext } from '../../views/context.ts';

export interface LoginForm {
  email?: string;
  next?: string;
  error?: string;
}

export function LoginPage({ ctx, form }: { ctx: PageContext; form: LoginForm }) {
  return (
    <AuthCard ctx={ctx} title="Sign in" id="login">
      <p class="muted">Sign in to open and follow your support tickets.</p>
      {form.error && <Alert kind="error">{form.error}</Alert>}
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
