// The ceiling: a bare Fastify route in its own process that answers every request with the same bytes (a copy of
// the ticket list page the app rendered), no logging, no plugins. What this machine, Node and Fastify can do at
// most for a response of that size; every app scenario is reported as a fraction of it.
//   node --import tsx bench/ceiling.ts <file with the response body> <port>
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [file, portArg] = process.argv.slice(2);
if (!file || !portArg) {
  console.error('usage: ceiling.ts <body file> <port>');
  process.exit(2);
}
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
