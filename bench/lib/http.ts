// A tiny browser for the benchmark's set-up: cookies, CSRF tokens from forms, and sign-in with password and TOTP.
import { currentTotp, timeStep } from '../../src/features/two-factor/totp.ts';

export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  cookieHeader(names?: string[]): string {
    return [...this.cookies]
      .filter(([name]) => !names || names.includes(name))
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  }

  async request(
    path: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ status: number; location: string | null; body: string }> {
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader();
    if (cookie) {
      headers.cookie = cookie;
    }
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(new URL(path, this.base), {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some(
        (a) =>
          /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1] ?? '') < Date.now()),
      );
      if (value === '' || expired) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
    return { status: response.status, location: response.headers.get('location'), body: await response.text() };
  }

  /** The CSRF token of the first form on a page. */
  async csrfToken(path: string): Promise<string> {
    const page = await this.request(path);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (page.status !== 200 || !token) {
      throw new Error(`GET ${path}: status ${page.status}, ${token ? 'a' : 'no'} CSRF token`);
    }
    return token;
  }

  /**
   * Password, then the TOTP code. A code is accepted once per user and 30-second step, so a user who already signed
   * in during this step waits for the next one.
   */
  async signIn(email: string, password: string, totpSecret: string): Promise<void> {
    const login = await this.request('/login', { form: { _csrf: await this.csrfToken('/login'), email, password } });
    if (login.status !== 303 || !login.location?.startsWith('/login/two-factor')) {
      throw new Error(
        `sign-in of ${email}: POST /login answered ${login.status} ${login.location ?? ''} (wrong password or pepper? reseed without --reuse)`,
      );
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.csrfToken('/login/two-factor');
      const step = timeStep(Date.now());
      const result = await this.request('/login/two-factor', {
        form: { _csrf: token, code: currentTotp(totpSecret, Date.now()) },
      });
      if (result.status === 303 && !result.location?.startsWith('/login')) {
        return;
      }
      if (attempt === 0 && result.status === 401) {
        // Probably this step's code was used already: wait for the next step.
        await new Promise((resolve) => setTimeout(resolve, (step + 1) * 30_000 - Date.now() + 200));
        continue;
      }
      throw new Error(
        `sign-in of ${email}: POST /login/two-factor answered ${result.status} (wrong TOTP secret? reseed without --reuse)`,
      );
    }
  }
}
