import type { ComponentChildren } from 'preact';
import type { PageContext } from '../context.ts';
import { Layout } from '../layout.tsx';
import { CsrfField } from './forms.tsx';

/**
 * The narrow one-card page that sign-in, registration, links from emails, two-factor and recovery share:
 * the page title, a heading tied to the card for screen readers, then the card's content.
 */
export function AuthCard(props: {
  ctx: PageContext;
  title: string;
  heading?: string;
  id: string;
  children: ComponentChildren;
}) {
  const headingId = `${props.id}-title`;
  return (
    <Layout ctx={props.ctx} title={props.title} narrow>
      <section class="card auth-card" aria-labelledby={headingId}>
        <h1 id={headingId}>{props.heading ?? props.title}</h1>
        {props.children}
      </section>
    </Layout>
  );
}

/** The card's closing line ("New here? Create an account"). */
export function AuthCardFooter({ children }: { children: ComponentChildren }) {
  return <p class="auth-card__footer">{children}</p>;
}

/** The way out of a half-finished sign-in (code page, first 2FA setup, email verification). */
export function SignOutButton({
  token,
  label = 'Sign out',
  class: extra = 'auth-card__footer',
}: {
  token: string;
  label?: string;
  class?: string;
}) {
  return (
    <form method="post" action="/logout" class={extra}>
      <CsrfField token={token} />
      <button type="submit" class="button button--block">
        {label}
      </button>
    </form>
  );
}
