import { ConfigError, loadConfig, loadDotEnv } from './config.ts';
import { buildApp } from './app.ts';
import { connect } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { ensureAdministrator } from './features/auth/bootstrap-admin.ts';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const started = performance.now();
  let config;
  try {
    loadDotEnv();
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Parapet cannot start.\n${error.message}\nSee .env.example for every variable.`);
      process.exit(1);
    }
    throw error;
  }

  const conn = connect(config.database);
  await migrateToLatest(conn);
  const app = await buildApp(config, { conn, startMailWorker: true });
  await ensureAdministrator({ db: conn.db, hasher: app.hasher, config, now: Date.now() }, app.log);
  app.addHook('onClose', () => conn.close());

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      return;
    }
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ host: config.env.HOST, port: config.env.PORT });
  app.log.info({ url: config.appUrl.href, database: config.database.kind, ms: Math.round(performance.now() - started) }, 'Parapet is ready');
}

main().catch((error: unknown) => {
  console.error('Parapet failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
