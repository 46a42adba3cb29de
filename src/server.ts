import cluster from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { ConfigError, loadConfig, loadDotEnv } from './config.ts';
import { connect } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const started = performance.now();
  // Everything this process creates (the SQLite database, its -wal/-shm files, dev-secrets.json, the dev mail outbox)
  // is for its own user only, whatever the shell's umask; connect() and loadConfig() also set modes explicitly.
  process.umask(0o077);
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

  const [{ buildApp }, { ensureAdministrator }] = await Promise.all([
    import('./app.ts'),
    import('./features/auth/bootstrap-admin.ts'),
  ]);
  const conn = connect(config.database);
  if (!cluster.isWorker) {
    await migrateToLatest(conn);
  }
  const app = await buildApp(config, { conn, startMailWorker: true });
  await ensureAdministrator({ db: conn.db, hasher: app.hasher, config, now: Date.now() }, app.log);
  // onClose hooks run last-registered first, after the server has stopped and its requests have finished: the mail
  // worker (perhaps delivering what those requests queued) stops before the database it writes to is closed.
  app.addHook('onClose', async () => {
    await app.mail.worker.stop();
    await conn.close();
  });

  let closing = false;
  // Responses still to be written when shutdown begins, so that they can close their connection (see below).
  const unanswered = new Set<ServerResponse>();
  app.server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (closing) {
      response.setHeader('connection', 'close');
      return;
    }
    unanswered.add(response);
    response.once('close', () => unanswered.delete(response));
  });
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
    // server.close() closes only the keep-alive connections idle at that moment; one whose request was still running
    // then stayed open after its answer and held the process until the grace ran out (exit 1). Every answer from now
    // on closes its connection, and connections that still become idle are closed as they do.
    for (const response of unanswered) {
      if (!response.headersSent) {
        response.setHeader('connection', 'close');
      }
    }
    // Requests sent before the signal may still sit unread in socket buffers, on connections that server.close()
    // would count as idle and reset. The event loop reads them in this turn (or, if they arrived during it, in the
    // next), so closing starts two turns later: they are answered, with Connection: close, instead.
    setImmediate(() =>
      setImmediate(() => {
        setInterval(() => app.server.closeIdleConnections(), 100).unref();
        app.close().then(
          () => process.exit(0),
          (err: unknown) => {
            app.log.error({ err }, 'error during shutdown');
            process.exit(1);
          },
        );
      }),
    );
  };
  // `on`, not `once`: a second signal (a worker gets one from its primary and one from the terminal) must not kill it.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ host: config.env.HOST, port: config.env.PORT });
  app.log.info(
    { url: config.appUrl.href, database: config.database.kind, ms: Math.round(performance.now() - started) },
    'Parapet is ready',
  );
}

main().catch((error: unknown) => {
  console.error('Parapet failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
