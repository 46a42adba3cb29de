import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Connection } from '../db/connect.ts';
import type { DB } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import type { PasswordHasher } from '../lib/password-hasher.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    conn: Connection;
    db: DB;
    clock: Clock;
    hasher: PasswordHasher;
  }
}

export interface CoreDeps {
  config: Config;
  conn: Connection;
  clock: Clock;
  hasher: PasswordHasher;
}

/** The app's collaborators, as decorators; side effects (time, hashing, the database) are swappable in tests. */
export default fp(
  (app: FastifyInstance, deps: CoreDeps) => {
    app.decorate('config', deps.config);
    app.decorate('conn', deps.conn);
    app.decorate('db', deps.conn.db);
    app.decorate('clock', deps.clock);
    app.decorate('hasher', deps.hasher);
  },
  { name: 'core' },
);
