import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Session, SessionStage, User } from '../db/database.ts';
import {
  deleteSession,
  findSessionUser,
  findSessionWithUser,
  replaceSessionRow,
  startSessionRow,
  touchSession,
} from '../db/session.repository.ts';
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
      const found = TOKEN_PATTERN.test(token) ? await findSessionWithUser(db, sha256Hex(token)) : undefined;
      const now = clock.now();
      const expired =
        !found ||
        found.session.expires_at <= now ||
        found.session.last_seen_at + config.session.idleMs <= now ||
        found.user.disabled_at !== null;
      if (expired) {
        if (found) {
          await deleteSession(db, found.session.id);
        }
        reply.clearCookie(names.session, options);
        return;
      }
      if (now - found.session.last_seen_at >= TOUCH_INTERVAL_MS) {
        await touchSession(db, found.session.id, now);
        found.session.last_seen_at = now;
      }
      request.session = found.session;
      request.user = found.user;
    });

    app.decorateReply(
      'startSession',
      async function (this: FastifyReply, userId: number, stage: SessionStage = 'full') {
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
        await startSessionRow(db, session, request.session?.id ?? null);
        request.session = session;
        request.user = await findSessionUser(db, userId);
        this.setCookie(names.session, token, { ...options, maxAge: Math.floor(config.session.absoluteMs / 1000) });
        if (stage === 'full') {
          opts.onFullSession(this, request.user, now);
        }
      },
    );

    app.decorateReply('rotateSession', async function (this: FastifyReply) {
      const request = this.request;
      const current = request.session;
      if (!current) {
        return;
      }
      const token = randomToken(32);
      const session: Session = { ...current, id: sha256Hex(token) };
      const replaced = await replaceSessionRow(db, current.id, session);
      if (!replaced) {
        request.session = null;
        request.user = null;
        this.clearCookie(names.session, options);
        return;
      }
      request.session = session;
      this.setCookie(names.session, token, {
        ...options,
        maxAge: Math.max(0, Math.floor((session.expires_at - clock.now()) / 1000)),
      });
      if (session.stage === 'full') {
        // A rotation follows a credential change: the device cookie is bound to the password, so this browser gets a fresh one.
        request.user = await findSessionUser(db, session.user_id);
        opts.onFullSession(this, request.user, clock.now());
      }
    });

    app.decorateReply('endSession', async function (this: FastifyReply) {
      const request = this.request;
      if (request.session) {
        await deleteSession(db, request.session.id);
      }
      request.session = null;
      request.user = null;
      this.clearCookie(names.session, options);
    });
  },
  { name: 'sessions', dependencies: ['core'] },
);
