import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { loggerOptions } from '../../src/app.ts';
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
  });
}
