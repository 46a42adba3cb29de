import type { FastifyRequest } from 'fastify';
import type { User } from '../db/database.ts';
import { unauthenticated } from '../lib/errors.ts';

/**
 * The signed-in user of a route whose `config.access` admits only signed-in users. The access guard has already
 * refused everyone else, so the throw is a programming error caught as a 401, never a way in.
 */
export function requireUser(request: FastifyRequest): User {
  const user = request.session?.stage === 'full' ? request.user : null;
  if (!user) {
    throw unauthenticated();
  }
  return user;
}

/**
 * The user of a session at any stage: for routes whose `config.access` admits a half-signed-in session
 * (`unverified`, `mfa`, `mfa-enrol`), where requireUser's full sign-in is not there yet.
 */
export function requireSessionUser(request: FastifyRequest): User {
  if (!request.session || !request.user) {
    throw unauthenticated();
  }
  return request.user;
}
