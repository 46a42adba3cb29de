import { request, type APIRequestContext, type APIResponse } from 'playwright-core';
import { nextTotp } from './browser.ts';
import type { E2eServer } from './server.ts';

/** A file for a multipart form, as Playwright sends it. */
export interface FormFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/**
 * A signed-in HTTP client without a browser (Playwright's request API: cookies kept, redirects followed), for
 * setting up what a page state needs (tickets, replies, accounts) in a fraction of a second. It submits the
 * very forms the pages show, with the CSRF token of the last page it saw. Pages under test are still opened
 * in a real browser; this only seeds data.
 */
export class HttpSession {
  private token: string | null = null;

  private constructor(
    readonly server: E2eServer,
    private readonly api: APIRequestContext,
  ) {}

  /** A visitor who is not signed in (e.g. to get a password wrong on purpose). */
  static async anonymous(server: E2eServer): Promise<HttpSession> {
    return new HttpSession(server, await request.newContext({ baseURL: server.baseUrl }));
  }

  /** Signs in with the password and, when asked, the next authenticator code (see nextTotp). */
  static async signIn(
    server: E2eServer,
    user: { email: string; password: string; totpSecret: string | null },
  ): Promise<HttpSession> {
    const session = new HttpSession(server, await request.newContext({ baseURL: server.baseUrl }));
    try {
      await session.get('/login');
      let res = await session.post('/login', { email: user.email, password: user.password });
      if (new URL(res.url()).pathname === '/login/two-factor') {
        if (!user.totpSecret) {
          throw new Error(`${user.email} has no totpSecret`);
        }
        res = await session.post('/login/two-factor', {
          code: await nextTotp(server, { email: user.email, totpSecret: user.totpSecret }),
        });
      }
      if (new URL(res.url()).pathname !== '/') {
        throw new Error(`signing in ${user.email} over HTTP ended on ${res.url()} (${res.status()})`);
      }
      return session;
    } catch (error) {
      await session.dispose();
      throw error;
    }
  }

  private async remember(res: APIResponse): Promise<APIResponse> {
    if ((res.headers()['content-type'] ?? '').startsWith('text/html')) {
      this.token = /name="_csrf" value="([^"]+)"/.exec(await res.text())?.[1] ?? this.token;
    }
    return res;
  }

  async get(path: string): Promise<APIResponse> {
    return this.remember(await this.api.get(path));
  }

  /** Submits a form (multipart when there are files, as the ticket forms are); follows the redirect. */
  async post(path: string, fields: Record<string, string>, files: Record<string, FormFile> = {}): Promise<APIResponse> {
    if (!this.token) {
      await this.get('/');
    }
    // The token first: on the attachment routes the server reads no file part before it has checked the token.
    const withToken = { _csrf: this.token ?? '', ...fields };
    const multipart = Object.keys(files).length > 0;
    const res = await this.api.post(path, multipart ? { multipart: { ...withToken, ...files } } : { form: withToken });
    return this.remember(res);
  }

  /** Like post, but fails unless the response is a page the browser would have been sent to without error. */
  async submit(
    path: string,
    fields: Record<string, string>,
    files: Record<string, FormFile> = {},
  ): Promise<APIResponse> {
    const res = await this.post(path, fields, files);
    if (!res.ok()) {
      throw new Error(`POST ${path} answered ${res.status()}: ${(await res.text()).slice(0, 300)}`);
    }
    return res;
  }

  dispose(): Promise<void> {
    return this.api.dispose();
  }
}

/** Runs `fn` with a signed-in HTTP session and always disposes of it. */
export async function asUser<T>(
  server: E2eServer,
  user: { email: string; password: string; totpSecret: string | null },
  fn: (session: HttpSession) => Promise<T>,
): Promise<T> {
  const session = await HttpSession.signIn(server, user);
  try {
    return await fn(session);
  } finally {
    await session.dispose();
  }
}
