import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { connect, type Connection, type Dialect } from '../../src/db/connect.ts';
import type { DB } from '../../src/db/database.ts';
import { MIGRATION_LOCK_KEY, migrateToLatest } from '../../src/db/migrate.ts';
import type { PasswordHasher } from '../../src/lib/password-hasher.ts';
import { TestClock } from '../../src/lib/clock.ts';
import { createFastHasher } from './fast-hasher.ts';

export const TEST_ENV = {
  NODE_ENV: 'test',
  SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
  PEPPER: 'test-pepper-0123456789-abcdefghijklmnopqrstuvw',
  LOG_LEVEL: 'silent',
} as const;

export interface TestDatabase {
  database: Config['database'];
  dataDir: string;
  cleanup(): Promise<void>;
}

/** A fresh database: a temporary SQLite file, or a new PostgreSQL schema that is dropped afterwards. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parapet-test-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (dialect === 'sqlite') {
    return {
      database: { kind: 'sqlite', file: path.join(dataDir, 'test.sqlite') },
      dataDir,
      cleanup: async () => removeDir(),
    };
  }
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    throw new Error('TEST_DATABASE_URL is not set');
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    database: { kind: 'postgres', url, schema },
    dataDir,
    cleanup: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      // Kysely's migrator introspects every schema; dropping one while another test migrates would race it.
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query(`drop schema ${schema} cascade`);
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await client.end();
      removeDir();
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  conn: Connection;
  db: DB;
  config: Config;
  clock: TestClock;
}

/**
 * 'fast' (the default): HMAC-SHA-256 with the pepper (test/helpers/fast-hasher.ts). 'argon2': the app's own hasher,
 * for tests about hashing, argon2's parameters, rehashing or the work a sign-in does. Or any hasher, e.g. the first
 * app's for a second app on the same database.
 */
export type TestHasher = 'fast' | 'argon2' | PasswordHasher;

/**
 * The hasher `buildApp` gets for `choice`; undefined lets the app make its real argon2 hasher from the config.
 * Without a choice: 'fast', or 'argon2' when TEST_HASHER=argon2 (to run the whole suite on real argon2).
 */
export function testHasher(
  config: Config,
  choice: TestHasher = process.env.TEST_HASHER === 'argon2' ? 'argon2' : 'fast',
): PasswordHasher | undefined {
  if (choice === 'argon2') {
    return undefined;
  }
  return choice === 'fast' ? createFastHasher({ pepper: config.pepper }) : choice;
}

export interface BuildTestAppOptions {
  logger?: FastifyServerOptions['logger'];
  /** Default 'fast' (TEST_HASHER=argon2 changes the default); see TestHasher. */
  hasher?: TestHasher;
}

/** Builds the real app (same factory as the server) on a fresh database; closed with the test. */
export async function buildTestApp(
  t: TestContext,
  dialect: Dialect,
  env: Record<string, string> = {},
  opts: BuildTestAppOptions = {},
): Promise<TestApp> {
  const testDb = await createTestDatabase(dialect);
  const config = loadConfig({ ...TEST_ENV, DATA_DIR: testDb.dataDir, ...env });
  config.database = testDb.database;
  const conn = connect(config.database, { poolSize: 4 });
  await migrateToLatest(conn);
  const clock = new TestClock();
  const app = await buildApp(config, {
    conn,
    clock,
    logger: opts.logger ?? false,
    hasher: testHasher(config, opts.hasher),
  });
  t.after(async () => {
    await app.close();
    await conn.close();
    await testDb.cleanup();
  });
  return { app, conn, db: conn.db, config, clock };
}
