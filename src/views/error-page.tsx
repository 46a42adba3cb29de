import { Layout } from './layout.tsx';
import type { PageContext } from './context.ts';

const TITLES: Record<number, string> = {
  400: 'That request could not be understood',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Page not found',
  405: 'Not allowed',
  413: 'That was too large',
  415: 'Unsupported content',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
};

export function errorTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'That request could not be completed');
}

export function ErrorPage({ ctx, status, message }: { ctx: PageContext; status: number; message: string }) {
  const title = errorTitle(status);
  return (
    <Layout ctx={ctx} title={title} narrow>
      <section class="card error-card" aria-labelledby="error-title">
        <p class="error-card__status">Error {status}</p>
        <h1 id="error-title">{title}</h1>
        <p>{message}</p>
        <p>
          <a class="button" href="/">
            Go to the start page
          </a>
        </p>
      </section>
    </Layout>
  );
}
