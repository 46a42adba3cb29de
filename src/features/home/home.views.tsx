import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';

const WHAT_YOU_CAN_DO = {
  client: 'From here you will open support tickets, follow their status and reply to our team.',
  agent: 'From here you will see and answer every ticket.',
  administrator: 'From here you will answer tickets, manage accounts and watch failed sign-in attempts.',
} as const;

export function HomePage({ ctx }: { ctx: PageContext }) {
  const user = ctx.user;
  if (!user) {
    return (
      <Layout ctx={ctx} title="Home">
        {null}
      </Layout>
    );
  }
  return (
    <Layout ctx={ctx} title="Home">
      <section class="card" aria-labelledby="home-title">
        <h1 id="home-title">
          Welcome{user.name ? ', ' : ''}
          {user.name && <span dir="auto">{user.name}</span>}
        </h1>
        <p>
          You are signed in as <strong>{user.email}</strong>.
        </p>
        <p class="muted">{WHAT_YOU_CAN_DO[user.role]}</p>
      </section>
    </Layout>
  );
}
