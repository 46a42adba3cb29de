import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, loggerOptions } from '../../../src/app.ts';
import { loadConfig, type Config } from '../../../src/config.ts';
import { connect, type Connection } from '../../../src/db/connect.ts';
import type { Role } from '../../../src/db/database.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { currentTotp } from '../../../src/features/two-factor/totp.ts';
import { createTestDatabase, TEST_ENV } from '../../../test/helpers/build-app.ts';
import { createUser, type TestUser } from '../../../test/helpers/factories.ts';
import { PNG } from '../../../test/helpers/multipart.ts';
import { freePort } from '../../../test/support/app-process.ts';
import { makeCertificate } from '../../../test/support/certificate.ts';
import { HttpClient } from './http.ts';

export interface ServerError {
  method: string;
  url: string;
  status: number;
}

export interface ScanTarget {
  app: FastifyInstance;
  config: Config;
  /** e.g. https://127.0.0.1:40123 (no trailing slash) */
  baseUrl: string;
  port: number;
  /** Temporary folder: database, certificate and key, app log. Removed by close(). */
  dir: string;
  appLog: string;
  ticketId: number;
  attachmentId: number;
  /** The client that owns the seeded ticket, signed in. */
  owner: { user: TestUser; http: HttpClient };
  /** A user made and signed in on demand (each scanner gets its own session, so one cannot end another's). */
  signedIn(role: Role, label: string): Promise<{ user: TestUser; http: HttpClient }>;
  /** Every 5xx the server sent, with the request that caused it; the caller drains it after each scanner. */
  serverErrors: ServerError[];
  /**
   * While true, the per-email sign-in pause is cleared before each POST /login, so that sqlmap's requests reach
   * the credential check instead of a 429 (the pause itself is covered by test/integration/login.test.ts).
   */
  bypassLoginPause: boolean;
  close(): Promise<void>;
}

/**
 * Sign-in limits loosened for a scanner that sends thousands of requests from 127.0.0.1 (the lockout is
 * tested in test/integration/login.test.ts; here it would only turn every response into a 429).
 */
const SCAN_ENV: Record<string, string> = {
  LOGIN_MAX_ATTEMPTS: '1000',
  LOGIN_WINDOW_MINUTES: '1',
  LOGIN_LOCK_MINUTES: '1',
  // Likewise the per-client hourly quotas on tickets and messages (tested in test/integration/quotas.test.ts).
  TICKETS_PER_HOUR: '100000',
  MESSAGES_PER_HOUR: '100000',
};

async function signIn(http: HttpClient, user: TestUser): Promise<void> {
  await http.get('/login');
  const login = await http.postForm('/login', { email: user.email, password: user.password });
  if (login.status !== 303 || !String(login.headers.location).startsWith('/login/two-factor')) {
    throw new Error(
      `sign-in of ${user.email}: POST /login answered ${login.status} ${String(login.headers.location ?? '')}`,
    );
  }
  await http.get('/login/two-factor');
  const code = currentTotp(user.totpSecret ?? '', Date.now());
  const second = await http.postForm('/login/two-factor', { code });
  if (second.status !== 303) {
    throw new Error(`sign-in of ${user.email}: POST /login/two-factor answered ${second.status}`);
  }
  const home = await http.get('/tickets');
  if (home.status !== 200) {
    throw new Error(`sign-in of ${user.email}: GET /tickets answered ${home.status} after signing in`);
  }
}

/**
 * The real app, as production runs it: NODE_ENV=production (Secure `__Host-` cookies, HSTS), TLS served directly
 * with a certificate made for this run, on 127.0.0.1 and a free port, on a fresh temporary SQLite database.
 * Seeds a client's ticket with a message, a staff reply and an image attachment, so scanners see real pages.
 */
export async function startTarget(): Promise<ScanTarget> {
  const testDb = await createTestDatabase('sqlite');
  const dir = testDb.dataDir;
  let conn: Connection | undefined;
  let app: FastifyInstance | undefined;
  const close = async () => {
    await app?.close();
    await conn?.close();
    await testDb.cleanup();
  };
  try {
    const { certFile, keyFile } = makeCertificate(dir);
    const port = await freePort();
    const baseUrl = `https://127.0.0.1:${port}`;
    const config = loadConfig({
      ...TEST_ENV,
      NODE_ENV: 'production',
      MAIL_TRANSPORT: 'disabled',
      LOG_LEVEL: 'warn',
      DATA_DIR: dir,
      APP_URL: baseUrl,
      TLS_CERT_FILE: certFile,
      TLS_KEY_FILE: keyFile,
      ...SCAN_ENV,
    });
    config.database = testDb.database;
    conn = connect(config.database);
    await migrateToLatest(conn);
    const appLog = path.join(dir, 'app.log');
    app = await buildApp(config, { conn, logger: { ...(loggerOptions(config) as object), file: appLog } });

    const serverErrors: ServerError[] = [];
    const sqlite = conn.raw.kind === 'sqlite' ? conn.raw.sqlite : null;
    const target = { bypassLoginPause: false } as ScanTarget;
    // Raw listeners run before Fastify's handler, for every route (Fastify hooks added now would miss the
    // encapsulated feature plugins).
    app.server.prependListener(
      'request',
      (req: { method?: string; url?: string }, res: { statusCode: number; once(e: 'finish', f: () => void): void }) => {
        if (
          target.bypassLoginPause &&
          sqlite &&
          req.method === 'POST' &&
          (req.url === '/login' || req.url?.startsWith('/login?'))
        ) {
          sqlite.prepare('delete from login_throttles').run();
        }
        res.once('finish', () => {
          if (res.statusCode >= 500) {
            serverErrors.push({ method: req.method ?? '?', url: req.url ?? '?', status: res.statusCode });
          }
        });
      },
    );
    await app.listen({ host: '127.0.0.1', port });

    const theApp = app;
    let counter = 0;
    const signedIn = async (role: Role, label: string) => {
      counter += 1;
      const user = await createUser(theApp, { role, email: `${label}-${counter}@example.test` });
      const http = new HttpClient(baseUrl);
      await signIn(http, user);
      return { user, http };
    };

    // The seeded world: a client's ticket with an attachment, and a staff reply.
    const owner = await signedIn('client', 'carol.client');
    await owner.http.get('/tickets/new');
    const opened = await owner.http.postForm('/tickets', {
      subject: 'Printer on fire',
      message: 'It started smoking after the update.',
      priority: 'normal',
      category: 'Technical problem',
    });
    const ticketId = Number(/^\/tickets\/(\d+)$/.exec(String(opened.headers.location ?? ''))?.[1]);
    if (!ticketId) {
      throw new Error(`seeding: opening a ticket answered ${opened.status}`);
    }
    await owner.http.get(`/tickets/${ticketId}`);
    const withFile = await owner.http.postMultipart(
      `/tickets/${ticketId}/messages`,
      { message: 'A photo of the printer.' },
      [{ name: 'printer.png', type: 'image/png', data: PNG }],
    );
    if (withFile.status !== 303) {
      throw new Error(`seeding: replying with an attachment answered ${withFile.status}`);
    }
    const page = await owner.http.get(`/tickets/${ticketId}`);
    const attachmentId = Number(new RegExp(`/tickets/${ticketId}/attachments/(\\d+)`).exec(page.text)?.[1]);
    if (!attachmentId) {
      throw new Error('seeding: the ticket page shows no attachment link');
    }
    const agent = await signedIn('agent', 'alan.agent');
    await agent.http.get(`/tickets/${ticketId}`);
    const staffReply = await agent.http.postForm(`/tickets/${ticketId}/messages`, {
      message: 'Please unplug it and send us the model number.',
    });
    if (staffReply.status !== 303) {
      throw new Error(`seeding: the staff reply answered ${staffReply.status}`);
    }

    Object.assign(target, {
      app,
      config,
      baseUrl,
      port,
      dir,
      appLog,
      ticketId,
      attachmentId,
      owner,
      signedIn,
      serverErrors,
      close,
    });
    return target;
  } catch (error) {
    await close();
    throw error;
  }
}
