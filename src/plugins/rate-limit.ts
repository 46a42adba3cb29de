import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import {
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  RateLimiterSQLite,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { markUnavailable } from '../db/connect.ts';
import { tooManyRequests } from '../lib/errors.ts';
import { ipLimitKey } from '../lib/ip-key.ts';
import { limitRules, type LimitName, type LimitRule } from '../lib/limits.ts';

/** One admitted attempt: its point is already spent. */
export interface Attempt {
  /** Points left in the window after this attempt. */
  remaining: number;
  /** Gives the point back: call it when the check succeeded, so that only failures accumulate. */
  refund(): Promise<void>;
}

export type Admission = ({ admitted: true } & Attempt) | { admitted: false; retryAfterSeconds: number };

/**
 * A limit that can only be used count-first: a point is spent atomically in the store (one upsert on
 * SQLite/PostgreSQL, one Lua script in Redis) before the caller runs the check it guards, so however many
 * requests arrive at once, at most `points` of them get past it per window. There is deliberately no
 * "is it allowed?" query and no "count a failure afterwards": both let parallel requests through together.
 */
export interface Limiter {
  readonly rule: LimitRule;
  /** Spends a point; refused attempts get `admitted: false` and the seconds until the next one may try. */
  admit(key: string | number): Promise<Admission>;
  /** Spends a point; a refused attempt throws a 429 AppError with Retry-After. */
  consume(key: string | number): Promise<Attempt>;
  /** Spends a point (429 when none is left), then runs the check, and gives the point back when it passed. */
  guard(key: string | number, check: () => Promise<boolean>): Promise<boolean>;
  /** Forgets the key's count and block (an administrator's unlock, a completed password reset). */
  reset(key: string | number): Promise<void>;
  /** When the key's block ends (epoch ms), or null: for showing to administrators, never for deciding to admit. */
  lockedUntil(key: string | number): Promise<number | null>;
}

export type Limits = Record<LimitName, Limiter>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Every limit of the application (rules in src/lib/limits.ts), counted in the shared database or Redis. */
    limits: Limits;
  }
}

export default fp(
  async (app: FastifyInstance) => {
    const raw = app.conn.raw;
    // REDIS_URL moves the counters to Redis (shared by every process, and off the database's write path).
    // ioredis is imported only then: it costs about 20 MB of memory even unused.
    const url = app.config.env.REDIS_URL;
    const redis: Redis | null = url ? new (await import('ioredis')).Redis(url, { maxRetriesPerRequest: 2 }) : null;
    redis?.on('error', (err: Error) => app.log.warn({ err: err.message }, 'redis error'));
    app.addHook('onClose', async () => {
      redis?.disconnect();
    });
    const redisPrefix = app.config.env.REDIS_KEY_PREFIX;

    function store(rule: LimitRule): RateLimiterAbstract {
      const common = {
        keyPrefix: rule.name,
        points: rule.points,
        duration: rule.windowSeconds,
        blockDuration: rule.blockSeconds ?? 0,
        tableName: 'rate_limits',
        tableCreated: true,
      };
      if (redis) {
        return new RateLimiterRedis({ ...common, storeClient: redis, keyPrefix: `${redisPrefix}${rule.name}` });
      }
      return raw.kind === 'sqlite'
        ? new RateLimiterSQLite({ ...common, storeClient: raw.sqlite, storeType: 'better-sqlite3' })
        : new RateLimiterPostgres({
            ...common,
            storeClient: raw.pool,
            schemaName: raw.schema,
            clearExpiredByTimeout: false,
          });
    }

    // While the store holding the counters is unreachable, limited routes answer 503, not 500.
    const unavailable = (error: unknown): never => {
      throw markUnavailable(error) as Error;
    };

    function makeLimiter(rule: LimitRule): Limiter {
      const limiter = store(rule);
      const keyOf = (key: string | number) => (rule.per === 'ip' ? ipLimitKey(String(key)) : String(key));
      const admit = async (rawKey: string | number): Promise<Admission> => {
        const key = keyOf(rawKey);
        let res: RateLimiterRes;
        try {
          res = await limiter.consume(key);
        } catch (error) {
          if (error instanceof RateLimiterRes) {
            return { admitted: false, retryAfterSeconds: error.msBeforeNext / 1000 };
          }
          return unavailable(error);
        }
        let refunded = false;
        return {
          admitted: true,
          remaining: res.remainingPoints,
          refund: async () => {
            if (refunded) {
              return;
            }
            refunded = true;
            const after = await limiter.reward(key, 1).catch(unavailable);
            // The window ended meanwhile, so the reward opened a new one at -1: put that bonus point back.
            if (after.consumedPoints < 0) {
              await limiter.penalty(key, 1).catch(unavailable);
            }
          },
        };
      };
      const consume = async (key: string | number): Promise<Attempt> => {
        const admission = await admit(key);
        if (!admission.admitted) {
          throw tooManyRequests(admission.retryAfterSeconds);
        }
        return admission;
      };
      return {
        rule,
        admit,
        consume,
        async guard(key, check) {
          const attempt = await consume(key);
          const passed = await check();
          if (passed) {
            await attempt.refund();
          }
          return passed;
        },
        reset: async (key) => {
          await limiter.delete(keyOf(key)).catch(unavailable);
        },
        async lockedUntil(key) {
          const state = await limiter.get(keyOf(key)).catch(unavailable);
          return state && state.consumedPoints >= rule.points && state.msBeforeNext > 0
            ? Date.now() + state.msBeforeNext
            : null;
        },
      };
    }

    const rules = limitRules(app.config.env);
    const limits = Object.fromEntries(Object.entries(rules).map(([name, rule]) => [name, makeLimiter(rule)])) as Limits;
    app.decorate('limits', limits);
  },
  { name: 'rate-limit', dependencies: ['core'] },
);
