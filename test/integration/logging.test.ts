import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { loggerOptions } from '../../src/app.ts';
import { devLogStream } from '../../src/lib/dev-log.ts';
import { loadConfig } from '../../src/config.ts';
import { buildTestApp, TEST_ENV } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';

for (const dialect of dialects()) {
  describe(`application logs [${dialect}]`, () => {
    test('JSON lines with a request id, and never a password, token, code, cookie or secret', async (t) => {
      const lines: string[] = [];
      const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      });
      const base = loggerOptions(loadConfig({ ...TEST_ENV, LOG_LEVEL: 'info' })) as Record<string, unknown>;
      const { app, db, config } = await buildTestApp(
        t,
        dialect,
        { LOG_LEVEL: 'info' },
        { logger: { ...base, stream } },
      );
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      await new TestClient(app).login(user.email, 'a wrong password for the logs');
      const visitor = new TestClient(app);
      await visitor.get('/forgot-password');
      await visitor.post('/forgot-password', { email: user.email });
      const link = linkIn((await mailsTo(db, user.email))[0], '/reset-password');
      const token = new URL(link, 'http://x').searchParams.get('token') ?? '';
      await visitor.get(link);
      await visitor.post('/reset-password', {
        token,
        password: 'the brand new passphrase',
        password_confirm: 'the brand new passphrase',
      });

      assert.ok(lines.length > 10);
      const secrets = [
        user.password,
        'a wrong password for the logs',
        'the brand new passphrase',
        token,
        user.totpSecret ?? 'none',
        config.secretKey,
        config.pepper,
        ...client.cookies.values(),
      ];
      for (const line of lines) {
        const entry = JSON.parse(line) as { reqId?: string; req?: unknown };
        for (const secret of secrets) {
          assert.ok(!line.includes(secret), `a secret reached the log: ${line.slice(0, 200)}`);
        }
        if (entry.req) {
          assert.match(String(entry.reqId), /^[0-9a-f-]{36}$/, 'each request line carries a request id');
        }
      }
      assert.ok(
        lines.some((l) => l.includes('/reset-password?…')),
        'query strings are cut from logged URLs',
      );
    });

    test('development: one short line per request, none for static files and health, messages kept readable', async (t) => {
      assert.equal(
        (loggerOptions(loadConfig({ ...TEST_ENV, NODE_ENV: 'test' })) as Record<string, unknown>).stream,
        undefined,
        'outside development the logger writes its JSON lines unchanged',
      );
      let out = '';
      const base = loggerOptions(loadConfig({ ...TEST_ENV, LOG_LEVEL: 'info' })) as Record<string, unknown>;
      const { app } = await buildTestApp(
        t,
        dialect,
        { LOG_LEVEL: 'info' },
        {
          logger: { ...base, stream: devLogStream((text) => (out += text)) },
        },
      );
      const visitor = new TestClient(app);
      const login = await visitor.get('/login');
      const css = /href="(\/assets\/css\/[^"]+)"/.exec(login.body)?.[1] ?? '';
      assert.equal((await visitor.get(css)).statusCode, 200);
      await visitor.get('/healthz');
      await visitor.get('/reset-password?token=secret-token-value');
      app.log.warn({ ticketId: 7 }, 'something to look at');
      await new Promise((resolve) => setImmediate(resolve));

      const lines = out.trim().split('\n');
      assert.ok(
        lines.every((l) => !l.startsWith('{')),
        `no JSON in development: ${out}`,
      );
      assert.equal(lines.filter((l) => / GET \/login 200 \d+ms$/.test(l)).length, 1, 'one line per request');
      assert.ok(!out.includes('/assets/'), 'static files are not logged');
      assert.ok(!out.includes('/health'), 'health checks are not logged');
      assert.ok(!out.includes('incoming request'));
      assert.match(out, /GET \/reset-password\?… /, 'query strings are still cut');
      assert.ok(!out.includes('secret-token-value'));
      assert.match(out, /\d{2}:\d{2}:\d{2} WARN something to look at ticketId=7/);
    });
  });
}
