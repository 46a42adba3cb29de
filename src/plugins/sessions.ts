import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { toUser, type DB, type Session, type SessionStage, type User } from '../db/database.ts';
import { randomToken, sha256Hex } from '../lib/crypto.ts';
import { cookieSettings } from '../lib/cookies.ts';

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
    user: User | null;
  }
  interface FastifyReply {
    /** Starts a fresh session (new token) for `userId`, ending the current one: use at login and privilege changes. */
    startSession(userId: number, stage?: SessionStage): Promise<void>;
    endSession(): Promise<void>;
    /** Gives the current session a new token (same user, stage and sign-in time): use after a credential change. */
    rotateSession(): Promise<void>;
  }
}

// last_seen_at is written at most this often per session, so reading pages does not write on every request.
const TOUCH_INTERVAL_MS = 60_000;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface SessionsOptions {
  /**
   * Called after a complete (stage 'full') session starts or gets a new token, with the user as stored now:
   * the app sets the device cookie here (features/auth/device-cookie.ts), which is bound to the password hash.
   */
  onFullSession: (reply: FastifyReply, user: User, now: number) => void;
}

export default fp(
  (app: FastifyInstance, opts: SessionsOptions) => {
    const { db, clock, config } = app;
    const { names, options } = cookieSettings(config);

    app.decorateRequest('session', null);
    app.decorateRequest('user', null);

    app.addHook('onRequest', async (request, reply) => {
      const token = request.cookies[names.session];
      if (!token) {
        return;
      }
      const found = TOKEN_PATTERN.test(token) ? await findSession(app, sha256Hex(token)) : undefined;
      const now = clock.now();
      const expired =
        !found ||
        found.session.expires_at <= now ||
        found.session.last_seen_at + config.session.idleMs <= now ||
        found.user.disabled_at !== null;
      if (expired) {
        if (found) {
          await db.deleteFrom('sessions').where('id', '=', found.session.id).execute();
        }
        reply.clearCookie(names.session, options);
        return;
      }
      if (now - found.session.last_seen_at >= TOUCH_INTERVAL_MS) {
        await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', found.session.id).execute();
        found.session.last_seen_at = now;
      }
      request.session = found.session;
      request.user = found.user;
    });

    app.decorateReply('startSession', async function (this: FastifyReply, userId: number, stage: SessionStage = 'full') {
      const request = this.request;
      const now = clock.now();
      const token = randomToken(32);
      const session: Session = {
        id: sha256Hex(token),
        user_id: userId,
        stage,
        created_at: now,
        last_seen_at: now,
        authenticated_at: now,
        expires_at: now + config.session.absoluteMs,
        ip: request.ip,
        user_agent: (request.headers['user-agent'] ?? '').slice(0, 512),
      };
      await db.transaction().execute(async (trx) => {
        if (request.session) {
          await trx.deleteFrom('sessions').where('id', '=', request.session.id).execute();
        }
        await trx.insertInto('sessions').values(session).execute();
        if (stage === 'full') {
          // Only a complete sign-in (password, verified email, code) counts as the user's last sign-in.
          await trx.updateTable('users').set({ last_login_at: now }).where('id', '=', userId).execute();
        }
      });
      request.session = session;
      request.user = toUser(await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow());
      this.setCookie(names.session, token, { ...options, maxAge: Math.floor(config.session.absoluteMs / 1000) });
      if (stage === 'full') {
        opts.onFullSession(this, request.user, now);
      }
    });

    app.decorateReply('rotateSession', async function (this: FastifyReply) {
      const request = this.request;
      const current = request.session;
      if (!current) {
        return;
      }
      const token = randomToken(32);
      const session: Session = { ...current, id: sha256Hex(token) };
      const replaced = await db.transaction().execute(async (trx) => {
        // Only if the old one still exists: a session ended meanwhile is not brought back under a new name.
        const removed = await trx.deleteFrom('sessions').where('id', '=', current.id).executeTakeFirst();
        if (Number(removed.numDeletedRows) !== 1) {
          return false;
        }
        await trx.insertInto('sessions').values(session).execute();
        return true;
      });
      if (!replaced) {
        request.session = null;
        request.user = null;
        this.clearCookie(names.session, options);
        return;
      }
      request.session = session;
      this.setCookie(names.session, token, { ...options, maxAge: Math.max(0, Math.floor((session.expires_at - clock.now()) / 1000)) });
      if (session.stage === 'full') {
        // A rotation follows a credential change: the device cookie is bound to the password, so this browser gets a fresh one.
        request.user = toUser(await db.selectFrom('users').selectAll().where('id', '=', session.user_id).executeTakeFirstOrThrow());
        opts.onFullSession(this, request.user, clock.now());
      }
    });

    app.decorateReply('endSession', async function (this: FastifyReply) {
      const request = this.request;
      if (request.session) {
        await db.deleteFrom('sessions').where('id', '=', request.session.id).execute();
      }
      request.session = null;
      request.user = null;
      this.clearCookie(names.session, options);
    });
  },
  { name: 'sessions', dependencies: ['core'] },
);

async function findSession(app: FastifyInstance, id: string): Promise<{ session: Session; user: User } | undefined> {
  const row = await app.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.id as s_id',
      'sessions.stage as s_stage',
      'sessions.created_at as s_created_at',
      'sessions.last_seen_at as s_last_seen_at',
      'sessions.authenticated_at as s_authenticated_at',
      'sessions.expires_at as s_expires_at',
      'sessions.ip as s_ip',
      'sessions.user_agent as s_user_agent',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
  if (!row) {
    return undefined;
  }
  const { s_id, s_stage, s_created_at, s_last_seen_at, s_authenticated_at, s_expires_at, s_ip, s_user_agent, ...user } = row;
  return {
    user: toUser(user),
    session: {
      id: s_id,
      user_id: user.id,
      stage: s_stage,
      created_at: s_created_at,
      last_seen_at: s_last_seen_at,
      authenticated_at: s_authenticated_at,
      expires_at: s_expires_at,
      ip: s_ip,
      user_agent: s_user_agent,
    },
  };
}

/**
 * Ends the user's sessions: all of them, or all but `keepSessionId` (the session making a credential change,
 * which then gets a new token through reply.rotateSession()). Returns how many ended. Every credential change
 * and every administrator action on a user goes through here (see features/auth/session.service.ts).
 */
export async function endSessionsOfUser(db: DB, userId: number, keepSessionId: string | null = null): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepSessionId !== null) {
    query = query.where('id', '!=', keepSessionId);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes sessions that have passed their absolute or idle limit. */
export async function purgeExpiredSessions(app: FastifyInstance): Promise<number> {
  const now = app.clock.now();
  const result = await app.db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - app.config.session.idleMs)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
