import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { connect, type Connection } from '../../../src/db/connect.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { createTestDatabase, TEST_ENV, testHasher, type TestHasher } from '../../helpers/build-app.ts';
import { createUser, type TestUser } from '../../helpers/factories.ts';
import { freePort } from '../../support/app-process.ts';
import { startMailbox, type Mailbox } from './smtp.ts';

export type { TestUser };

/**
 * Limits that would trip over one browser on 127.0.0.1 signing in again and again; a suite can still set its own.
 * The sign-in lockout counts wrong passwords per IP, and the suites get them wrong on purpose.
 */
const E2E_ENV: Record<string, string> = { LOGIN_MAX_ATTEMPTS: '1000' };

export interface E2eServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:40123 (no trailing slash); also the app's APP_URL, so emailed links point here. */
  baseUrl: string;
  admin: TestUser;
  client: TestUser;
  /** The SMTP server the app delivers to, when started with `smtp: true`; otherwise null. */
  mailbox: Mailbox | null;
  close(): Promise<void>;
}

export interface StartServerOptions {
  /** Extra environment for loadConfig, e.g. { PASSWORD_MIN_LENGTH: '14' }. */
  env?: Record<string, string>;
  /**
   * Start a real SMTP server on 127.0.0.1 (random port) and point SMTP_URL at it, so email really leaves the
   * app and can be read back from `server.mailbox`. Implies the background outbox worker.
   */
  smtp?: boolean;
  /** Run the outbox worker in the background (default: true with `smtp`, false otherwise). */
  startMailWorker?: boolean;
  /** Default 'fast' (no suite is about hashing); see buildTestApp. */
  hasher?: TestHasher;
}

/**
 * The real app on a real port, for browser tests and screenshots: a fresh SQLite database, migrated,
 * with one administrator and one client, both enrolled in TOTP (their `totpSecret` makes the codes; see
 * nextTotp in browser.ts). Uses the system clock, since a browser lives in real time.
 */
export async function startServer(options: StartServerOptions = {}): Promise<E2eServer> {
  const testDb = await createTestDatabase('sqlite');
  let mailbox: Mailbox | null = null;
  let conn: Connection | undefined;
  let app: FastifyInstance | undefined;
  const cleanup = async () => {
    await app?.close();
    await conn?.close();
    await mailbox?.close();
    await testDb.cleanup();
  };
  try {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    mailbox = options.smtp ? await startMailbox() : null;
    const config = loadConfig({
      ...TEST_ENV,
      DATA_DIR: testDb.dataDir,
      APP_URL: baseUrl,
      ...(mailbox ? { SMTP_URL: mailbox.url } : {}),
      ...E2E_ENV,
      ...options.env,
    });
    config.database = testDb.database;
    conn = connect(config.database, { poolSize: 4 });
    await migrateToLatest(conn);
    app = await buildApp(config, {
      conn,
      logger: false,
      startMailWorker: options.startMailWorker ?? Boolean(mailbox),
      hasher: testHasher(config, options.hasher),
    });
    await app.listen({ host: '127.0.0.1', port });
    const admin = await createUser(app, { role: 'administrator', email: 'ada.admin@example.test' });
    const client = await createUser(app, { role: 'client', email: 'carol.client@example.test' });
    return { app, baseUrl, admin, client, mailbox, close: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The system Chromium, headless and quiet: no downloads, no first-run pages, no calls home. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
