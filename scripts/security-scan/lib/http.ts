import { request as httpsRequest } from 'node:https';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/**
 * A tiny HTTPS client with a cookie jar, for signing in and seeding through the app's real forms. The scan's
 * server has a self-signed certificate made for this run, so certificate checks are off (127.0.0.1 only).
 */
export class HttpClient {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last HTML page that had a form. */
  lastToken: string | null = null;

  constructor(readonly baseUrl: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(
    method: string,
    path: string,
    body?: { payload: string | Buffer; contentType: string },
  ): Promise<HttpResponse> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { accept: 'text/html' };
    if (this.cookies.size > 0) {
      headers.cookie = this.cookieHeader();
    }
    if (body) {
      headers['content-type'] = body.contentType;
      headers['content-length'] = String(Buffer.byteLength(body.payload));
    }
    const response = await new Promise<HttpResponse>((resolve, reject) => {
      const req = httpsRequest(url, { method, headers, rejectUnauthorized: false, timeout: 15_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text: buf.toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (body) {
        req.write(body.payload);
      }
      req.end();
    });
    const setCookie = response.headers['set-cookie'] ?? [];
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired =
        value === '' ||
        attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) ||
        attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
    if (String(response.headers['content-type'] ?? '').startsWith('text/html')) {
      this.lastToken = /name="_csrf" value="([^"]+)"/.exec(response.text)?.[1] ?? this.lastToken;
    }
    return response;
  }

  get(path: string): Promise<HttpResponse> {
    return this.request('GET', path);
  }

  /** Submits a urlencoded form with the CSRF token of the last page seen. */
  postForm(path: string, fields: Record<string, string>): Promise<HttpResponse> {
    if (!this.lastToken) {
      throw new Error(`POST ${path}: no CSRF token seen yet`);
    }
    const payload = new URLSearchParams({ _csrf: this.lastToken, ...fields }).toString();
    return this.request('POST', path, { payload, contentType: 'application/x-www-form-urlencoded' });
  }

  /** Submits a multipart form (with files) and the CSRF token of the last page seen. */
  postMultipart(
    path: string,
    fields: Record<string, string>,
    files: Array<{ name: string; type: string; data: Buffer }>,
  ): Promise<HttpResponse> {
    if (!this.lastToken) {
      throw new Error(`POST ${path}: no CSRF token seen yet`);
    }
    const boundary = `----parapetscan${Math.random().toString(16).slice(2)}`;
    const parts: Buffer[] = [];
    for (const [name, value] of Object.entries({ _csrf: this.lastToken, ...fields })) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    }
    for (const file of files) {
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
        ),
        file.data,
        Buffer.from('\r\n'),
      );
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return this.request('POST', path, {
      payload: Buffer.concat(parts),
      contentType: `multipart/form-data; boundary=${boundary}`,
    });
  }
}
