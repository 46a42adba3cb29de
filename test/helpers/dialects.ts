import type { Dialect } from '../../src/db/connect.ts';

/** Every integration test runs once per dialect: SQLite always, PostgreSQL when TEST_DATABASE_URL is set. */
export function dialects(): Dialect[] {
  return process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}
