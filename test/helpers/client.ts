import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { currentTotp, TOTP_PERIOD_SECONDS } from '../../src/features/two-factor/totp.ts';
import type { TestClock } from '../../src/lib/clock.ts';
import { createUser, type TestUser } from './factories.ts';

type Headers = Record<string, string>;

/**
 * A browser stand-in over app.inject(): keeps cookies like a browser would and finds the CSRF token
 * in the last page it saw, so tests read like a person clicking through forms.
 */
export class TestClient {
  readonly cookies = new Map<string, string>();
  lastBody = '';
  /** The CSRF token of the last page that had a form, as a browser tab would still hold it. */
  lastToken: string | null = null;

  constructor(
    private readonly app: FastifyInstance,
    private readonly defaults: { headers?: Headers; remoteAddress?: string } = {},
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(opts: InjectOptions & { headers?: Headers }): Promise<LightMyRequestResponse> {
    const headers: Headers = { ...this.defaults.headers, ...opts.headers };
    if (this.cookies.size > 0 && headers.cookie === undefined) {
      headers.cookie = this.cookieHeader();
    }
    const response = await this.app.inject({
      ...opts,
      headers,
      ...(this.defaults.remoteAddress ? { remoteAddress: this.defaults.remoteAddress } : {}),
    });
    for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      const expired =
        cookie.maxAge === 0 ||
        (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now()) ||
        cookie.value === '';
      if (expired) {
        this.cookies.delete(cookie.name);
      } else {
        this.cookies.set(cookie.name, cookie.value);
      }
    }
    if ((response.headers['content-type'] ?? '').toString().startsWith('text/html')) {
      this.lastBody = response.body;
      this.lastToken = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1] ?? this.lastToken;
    }
    return response;
  }

  get(url: string, headers: Headers = {}): Promise<LightMyRequestResponse> {
    return this.request({ method: 'GET', url, headers });
  }

  csrfToken(): string {
    if (!this.lastToken) {
      throw new Error('no page with a CSRF token seen yet');
    }
    return this.lastToken;
  }

  /** POSTs a form; the CSRF token from the last page is added unless `_csrf` is given (null: send none). */
  post(url: string, form: Record<string, string | null> = {}, headers: Headers = {}): Promise<LightMyRequestResponse> {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(form)) {
      if (v !== null) {
        fields[k] = v;
      }
    }
    if (!('_csrf' in form)) {
      fields._csrf = this.csrfToken();
    }
    return this.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(fields).toString(),
    });
  }

  /** Opens the login page and submits the password step only; returns that POST's response. */
  async login(email: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/login');
    return this.post('/login', { email, password });
  }

  /** The code the user's authenticator shows, one step later than any code used before (codes work once). */
  nextCode(totpSecret: string): string {
    const clock = this.app.clock as TestClock;
    clock.advance(TOTP_PERIOD_SECONDS * 1000);
    return currentTotp(totpSecret, clock.now());
  }

  /** Signs in completely: password, then the TOTP code. Returns the last response. */
  async signIn(user: { email: string; password: string; totpSecret: string | null }): Promise<LightMyRequestResponse> {
    const res = await this.login(user.email, user.password);
    const location = String(res.headers.location ?? '');
    if (!location.startsWith('/login/two-factor') || !user.totpSecret) {
      return res;
    }
    await this.get(location);
    return this.post('/login/two-factor', {
      code: this.nextCode(user.totpSecret),
      ...(location.includes('next=') ? { next: new URL(location, 'http://x').searchParams.get('next') ?? '/' } : {}),
    });
  }
}

export interface UploadFile {
  field?: string;
  name: string;
  type?: string;
  data: Buffer;
}

/** POSTs a multipart form (with files) and the CSRF token of the last page. */
export async function postMultipart(
  client: TestClient,
  url: string,
  fields: Record<string, string>,
  files: UploadFile[] = [],
): Promise<LightMyRequestResponse> {
  const { multipartBody } = await import('./multipart.ts');
  const body = multipartBody({ _csrf: client.csrfToken(), ...fields }, files);
  return client.request({ method: 'POST', url, payload: body.payload, headers: { 'content-type': body.contentType } });
}

/** A new user with `role` (and `email`, if given), signed in completely in a client of their own. */
export async function signedInAs(
  app: FastifyInstance,
  role: 'client' | 'agent' | 'administrator' = 'client',
  email?: string,
): Promise<{ user: TestUser; client: TestClient }> {
  const user = await createUser(app, { role, ...(email ? { email } : {}) });
  const client = new TestClient(app);
  await client.signIn(user);
  return { user, client };
}
