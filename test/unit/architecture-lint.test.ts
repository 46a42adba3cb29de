// The layering in ARCHITECTURE.md is kept by ESLint: this proves each rule still fires, so a config change cannot
// switch one off unnoticed. Probe files are written into src/ (type-aware linting needs them in the project) and
// always removed.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

async function lintProbe(file: string, source: string): Promise<string[]> {
  const full = path.join(ROOT, file);
  writeFileSync(full, source);
  try {
    const [result] = await eslint.lintFiles([full]);
    return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
  } finally {
    rmSync(full, { force: true });
  }
}

const tag = `zz-lint-probe-${process.pid}`;
const SQL = `import type { DB } from '../../db/database.ts';
export async function probe(db: DB) {
  return db.selectFrom('users').select('id').execute();
}
`;

test('SQL is refused in routes, services and plugins, and allowed in repositories', async () => {
  for (const file of [`src/features/tickets/${tag}.routes.ts`, `src/features/tickets/${tag}.service.ts`]) {
    const messages = await lintProbe(file, SQL);
    assert.ok(
      messages.some((m) => m.includes('SQL lives in *.repository.ts')),
      `${file}: ${messages.join('; ')}`,
    );
  }
  const plugin = await lintProbe(`src/plugins/${tag}.ts`, SQL.replace('../../db/', '../db/'));
  assert.ok(
    plugin.some((m) => m.includes('SQL lives in *.repository.ts')),
    plugin.join('; '),
  );
  assert.deepEqual(await lintProbe(`src/features/tickets/${tag}.repository.ts`, SQL), []);
});

test('layers import downward only, and a feature never imports another feature’s routes', async () => {
  const up = await lintProbe(
    `src/lib/${tag}.ts`,
    `import type { Mailer } from '../mail/mailer.ts';\nexport type Probe = Mailer;\n`,
  );
  assert.ok(
    up.some((m) => m.startsWith('no-restricted-imports') && m.includes('src/lib imports only the layers below it')),
    up.join('; '),
  );
  const feature = await lintProbe(
    `src/plugins/${tag}.ts`,
    `import type { TicketDeps } from '../features/tickets/ticket.service.ts';\nexport type Probe = TicketDeps;\n`,
  );
  assert.ok(
    feature.some((m) => m.startsWith('no-restricted-imports')),
    feature.join('; '),
  );
  const routes = await lintProbe(
    `src/features/admin/${tag}.service.ts`,
    `import ticketRoutes from '../tickets/ticket.routes.ts';\nexport const probe = ticketRoutes;\n`,
  );
  assert.ok(
    routes.some((m) => m.includes("never imports another feature's *.routes.ts")),
    routes.join('; '),
  );
});

test('handlers neither cast request.user nor call reply.callNotFound()', async () => {
  const messages = await lintProbe(
    `src/features/tickets/${tag}.routes.ts`,
    `import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../db/database.ts';
export function probe(request: FastifyRequest, reply: FastifyReply) {
  const user = request.user as User;
  return user.id > 0 ? reply.callNotFound() : reply;
}
`,
  );
  assert.ok(
    messages.some((m) => m.includes('requireUser(request)')),
    messages.join('; '),
  );
  assert.ok(
    messages.some((m) => m.includes('instead of reply.callNotFound()')),
    messages.join('; '),
  );
});
