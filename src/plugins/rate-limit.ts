import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { markUnavailable } from '../db/connect.ts';
import { tooManyRequests } from '../lib/errors.ts';

export interface LimitRule {
  /** Attempts allowed per window. */
  points: number;
  windowSeconds: number;
  /** Once the points are spent, refuse for this long (default: the rest of the window). */
  blockSeconds?: number;
}

export interface Limiter {
  /** Counts one attempt; throws a 429 AppError (with Retry-After) when over the limit. */
  consume(key: string): Promise<void>;
  /** Counts one attempt; returns false instead of throwing when over the limit. */
  tryConsume(key: string): Promise<boolean>;
  reset(key: string): Promise<void>;
  /** Throws a 429 when the key has no points left, without spending one: for counting failures only. */
  assertAllowed(key: string): Promise<void>;
  /** When the key's lock ends (epoch ms), or null when it is not locked. */
  lockedUntil(key: string): Promise<number | null>;
  /** Counts a failure; the one that spends the last point starts the block. Returns whether the key is now locked. */
  fail(key: string): Promise<{ locked: boolean }>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** A limiter whose counters live in the shared database, so every app process sees the same counts. */
    limiter(name: string, rule: LimitRule): Limiter;
  }
}

export default fp(
  async (app: FastifyInstance) => {
    const raw = app.conn.raw;
    const cache = new Map<string, Limiter>();
    // REDIS_URL moves the counters to Redis (shared by every process, and off the database's write path).
    // ioredis is imported only then: it costs about 20 MB of memory even unused.
    const url = app.config.env.REDIS_URL;
    const redis: Redis | null = url ? new (await import('ioredis')).Redis(url, { maxRetriesPerRequest: 2 }) : null;
    redis?.on('error', (err: Error) => app.log.warn({ err: err.message }, 'redis error'));
    app.addHook('onClose', async () => {
      redis?.disconnect();
    });

    function store(name: string, rule: LimitRule): RateLimiterAbstract {
      const common = {
        keyPrefix: name,
        points: rule.points,
        duration: rule.windowSeconds,
        blockDuration: rule.blockSeconds ?? 0,
        tableName: 'rate_limits',
        tableCreated: true,
      };
      if (redis) {
        return new RateLimiterRedis({ ...common, storeClient: redis, keyPrefix: `parapet:${name}` });
      }
      return raw.kind === 'sqlite'
        ? new RateLimiterSQLite({ ...common, storeClient: raw.sqlite, storeType: 'better-sqlite3' })
        : new RateLimiterPostgres({ ...common, storeClient: raw.pool, schemaName: raw.schema, clearExpiredByTimeout: false });
    }

    app.decorate('limiter', (name: string, rule: LimitRule): Limiter => {
      const cacheKey = `${name}:${rule.points}:${rule.windowSeconds}:${rule.blockSeconds ?? 0}`;
      const existing = cache.get(cacheKey);
      if (existing) {
        return existing;
      }
      const limiter = store(name, rule);
      // While the database holding the counters is unreachable, limited routes answer 503, not 500.
      const unavailable = (error: unknown): never => {
        throw markUnavailable(error) as Error;
      };
      const tryConsume = async (key: string): Promise<number | null> => {
        try {
          await limiter.consume(key);
          return null;
        } catch (error) {
          if (error instanceof RateLimiterRes) {
            return error.msBeforeNext / 1000;
          }
          return unavailable(error);
        }
      };
      const made: Limiter = {
        async consume(key) {
          const retryAfter = await tryConsume(key);
          if (retryAfter !== null) {
            throw tooManyRequests(retryAfter);
          }
        },
        tryConsume: async (key) => (await tryConsume(key)) === null,
        reset: async (key) => {
          await limiter.delete(key).catch(unavailable);
        },
        async lockedUntil(key) {
          const state = await limiter.get(key).catch(unavailable);
          return state && state.consumedPoints >= rule.points && state.msBeforeNext > 0 ? Date.now() + state.msBeforeNext : null;
        },
        async fail(key) {
          try {
            const res = await limiter.consume(key);
            if (res.remainingPoints <= 0) {
              if (rule.blockSeconds) {
                await limiter.block(key, rule.blockSeconds).catch(unavailable);
              }
              return { locked: true };
            }
            return { locked: false };
          } catch (error) {
            if (error instanceof RateLimiterRes) {
              return { locked: true };
            }
            return unavailable(error);
          }
        },
        async assertAllowed(key) {
          const state = await limiter.get(key).catch(unavailable);
          if (state && state.consumedPoints >= rule.points && state.msBeforeNext > 0) {
            throw tooManyRequests(state.msBeforeNext / 1000);
          }
        },
      };
      cache.set(cacheKey, made);
      return made;
    });
  },
  { name: 'rate-limit', dependencies: ['core'] },
);
