import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { dialects } from '../helpers/dialects.ts';

for (const dialect of dialects()) {
  describe(`health [${dialect}]`, () => {
    test('/healthz answers while the process lives; /readyz while the database answers', async (t) => {
      const { app, conn } = await buildTestApp(t, dialect);
      const live = await app.inject('/healthz');
      assert.equal(live.statusCode, 200);
      assert.deepEqual(live.json(), { status: 'ok' });
      const ready = await app.inject('/readyz');
      assert.equal(ready.statusCode, 200);

      // Guards: a database outage shows as 503 on /readyz, never as a crash or a 500.
      const realPing = conn.ping;
      conn.ping = () => Promise.reject(new Error('connection refused'));
      t.after(() => {
        conn.ping = realPing;
      });
      const down = await app.inject('/readyz');
      assert.equal(down.statusCode, 503);
      assert.deepEqual(down.json(), { status: 'unavailable' });
      assert.equal((await app.inject('/healthz')).statusCode, 200);
    });
  });
}
