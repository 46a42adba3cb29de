import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { connect } from '../../../src/db/connect.ts';
import type { User } from '../../../src/db/database.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { createTestDatabase, TEST_ENV } from '../../helpers/build-app.ts';
import { createUser } from '../../helpers/factories.ts';

export type TestUser = User & { password: string };

export interface E2eServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:40123 (no trailing slash) */
  baseUrl: string;
  admin: TestUser;
  client: TestUser;
  close(): Promise<void>;
}

/**
 * The real app on a real port, for browser tests and screenshots: a fresh SQLite database, migrated,
 * with one administrator and one client. Uses the system clock, since a browser lives in real time.
 */
export async function startServer(): Promise<E2eServer> {
  const testDb = await createTestDatabase('sqlite');
  const config = loadConfig({ ...TEST_ENV, DATA_DIR: testDb.dataDir });
  config.database = testDb.database;
  const conn = connect(config.database, { poolSize: 4 });
  let app: FastifyInstance | undefined;
  try {
    await migrateToLatest(conn);
    app = await buildApp(config, { conn, logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const admin = await createUser(app, { role: 'administrator', email: 'ada.admin@example.test' });
    const client = await createUser(app, { role: 'client', email: 'carol.client@example.test' });
    const started = app;
    return {
      app: started,
      baseUrl: `http://127.0.0.1:${port}`,
      admin,
      client,
      close: async () => {
        await started.close();
        await conn.close();
        await testDb.cleanup();
      },
    };
  } catch (error) {
    await app?.close();
    await conn.close();
    await testDb.cleanup();
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
