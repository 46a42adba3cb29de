import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisReachable(): Promise<boolean> {
  const url = new URL(TEST_REDIS_URL);
  return new Promise((resolve) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** App env that keeps the limits in Redis under a key prefix of this test's own; its keys are deleted afterwards. */
export function redisTestEnv(t: TestContext): { REDIS_URL: string; REDIS_KEY_PREFIX: string } {
  const prefix = `parapet-test-${randomBytes(5).toString('hex')}:`;
  t.after(async () => {
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    redis.disconnect();
  });
  return { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
}
