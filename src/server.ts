import cluster from 'node:cluster';
import pino from 'pino';
import { ConfigError, loadConfig, loadDotEnv } from './config.ts';
import { connect } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const started = performance.now();
  let config;
  try {
    loadDotEnv();
    // Workers read the same settings as their primary, which has already printed any warning.
    config = loadConfig(process.env, cluster.isWorker ? { warn: () => {} } : {});
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Parapet cannot start.\n${error.message}\nSee .env.example for every variable.`);
      process.exit(1);
    }
    throw error;
  }

  // WORKERS > 1: this process migrates once, then only starts and watches the workers (src/cluster.ts), which
  // load the app; each of them runs the rest of this function.
  if (config.workers > 1 && cluster.isPrimary) {
    const migrations = connect(config.database);
    await migrateToLatest(migrations);
    await migrations.close();
    const { runPrimary } = await import('./cluster.ts');
    const log = pino({ level: config.env.LOG_LEVEL });
    log.info({ workers: config.workers, url: config.appUrl.href }, 'starting workers');
    process.exit(await runPrimary(config.workers, log));
  }

  const [{ buildApp }, { ensureAdministrator }] = await Promise.all([import('./app.ts'), import('./features/auth/bootstrap-admin.ts')]);
  const conn = connect(config.database);
  if (!cluster.isWorker) {
    await migrateToLatest(conn);
  }
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
  // `on`, not `once`: a second signal (a worker gets one from its primary and one from the terminal) must not kill it.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ host: config.env.HOST, port: config.env.PORT });
  app.log.info({ url: config.appUrl.href, database: config.database.kind, ms: Math.round(performance.now() - started) }, 'Parapet is ready');
}

main().catch((error: unknown) => {
  console.error('Parapet failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
