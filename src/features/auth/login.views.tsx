import { Alert, CsrfField, Field } from '../../views/components/forms.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';

export interface LoginForm {
  email?: string;
  next?: string;
  error?: string;
}

export function LoginPage({ ctx, form }: { ctx: PageContext; form: LoginForm }) {
  return (
    <Layout ctx={ctx} title="Sign in" narrow>
      <section class="card auth-card" aria-labelledby="login-title">
        <h1 id="login-title">Sign in</h1>
        <p class="muted">Sign in to open and follow your support tickets.</p>
        {form.error && <Alert kind="error">{form.error}</Alert>}
        <form method="post" action="/login" class="stack" novalidate>
          <CsrfField token={ctx.csrfToken} />
          {form.next && form.next !== '/' && <input type="hidden" name="next" value={form.next} />}
          <Field label="Email" name="email" type="email" value={form.email} autocomplete="username" required maxLength={254} autofocus={!form.email} />
          <Field label="Password" name="password" type="password" autocomplete="current-password" required maxLength={1024} autofocus={Boolean(form.email)} />
          <p class="field-link">
            <a href="/forgot-password">Forgot password?</a>
          </p>
          <button type="submit" class="button button--primary button--block">
            Sign in
          </button>
        </form>
        <p class="auth-card__footer">
          New here? <a href="/register">Create an account</a>
        </p>
      </section>
    </Layout>
  );
}
