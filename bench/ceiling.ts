// The ceiling: a bare Fastify route that answers every request with the same bytes (a copy of the ticket list page
// the app rendered), no logging, no plugins. What this machine, Node and Fastify can do at most for a response of
// that size; every app scenario is reported as a fraction of it. With a worker count above 1 it runs as that many
// node:cluster workers on one port, as the app does with WORKERS.
//   node --import tsx bench/ceiling.ts <file with the response body> <port> [workers]
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [file, portArg, workersArg = '1'] = process.argv.slice(2);
if (!file || !portArg) {
  console.error('usage: ceiling.ts <body file> <port> [workers]');
  process.exit(2);
}
const workers = Number(workersArg);

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) {
    cluster.fork();
  }
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) {
      worker?.process.kill('SIGTERM');
    }
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        process.exit(0);
      }
    });
  });
} else {
  const body = readFileSync(file);
  const app = Fastify({ logger: false });
  app.get('/', (_request, reply) => {
    void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  });
  await app.listen({ host: '127.0.0.1', port: Number(portArg) });
  process.stdout.write(`ready ${body.length}\n`);
  process.once('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}
