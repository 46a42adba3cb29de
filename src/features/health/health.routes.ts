import type { FastifyInstance } from 'fastify';

const READY_TIMEOUT_MS = 2000;

export default function healthRoutes(app: FastifyInstance) {
  // Liveness: the process answers. No database, so a database outage does not get the process restarted.
  app.get('/healthz', { config: { access: 'public' }, logLevel: 'warn' }, async (_request, reply) =>
    reply.type('application/json').send({ status: 'ok' }),
  );

  // Readiness: the database answers within a bound; a proxy stops sending traffic while it does not.
  app.get('/readyz', { config: { access: 'public' }, logLevel: 'warn' }, async (request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        app.conn.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('database ping timed out')), READY_TIMEOUT_MS);
        }),
      ]);
      return reply.type('application/json').send({ status: 'ready' });
    } catch (error) {
      request.log.warn({ err: error }, 'not ready');
      return reply.code(503).type('application/json').send({ status: 'unavailable' });
    } finally {
      clearTimeout(timer);
    }
  });
}
