import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { createUser } from '../helpers/factories.ts';
import { redisReachable, TEST_REDIS_URL as REDIS_URL } from '../helpers/redis.ts';

describe('rate limits in Redis (REDIS_URL)', async () => {
  const reachable = await redisReachable();
  test(
    'login lockouts are counted in Redis when REDIS_URL is set',
    { skip: !reachable && `no Redis at ${REDIS_URL}` },
    async (t) => {
      const redis = new Redis(REDIS_URL);
      const clear = async () => {
        const keys = await redis.keys('parapet:login_ip*');
        if (keys.length > 0) {
          await redis.del(...keys);
        }
      };
      await clear();
      t.after(async () => {
        await clear();
        redis.disconnect();
      });
      const { app, db } = await buildTestApp(t, 'sqlite', { REDIS_URL });
      const user = await createUser(app);
      for (let i = 0; i < 5; i++) {
        await new TestClient(app).login(`guess${i}@example.com`, 'not the password');
      }
      assert.equal((await new TestClient(app).login(user.email, user.password)).statusCode, 429);
      assert.ok((await redis.keys('parapet:login_ip*')).length > 0, 'the counter lives in Redis');
      assert.equal(
        (await db.selectFrom('rate_limits').selectAll().execute()).filter((r) => r.key.startsWith('login_ip')).length,
        0,
        'not in the database',
      );
    },
  );
});
