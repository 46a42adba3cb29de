import type { preHandlerAsyncHookHandler } from 'fastify';
import type { User } from '../../db/database.ts';
import { authorize, type Policy } from '../../http/policy.ts';
import { requireUser } from '../../http/request-user.ts';
import { defineSubject } from '../../http/subject.ts';
import { findUserById } from './user.repository.ts';

/**
 * What an administrator may do to an account. The deleted-user placeholder is not an account anyone manages: it
 * is refused like a user that does not exist (404), on its page and on every action.
 */
const manageable = (actor: User, target: User) => actor.role === 'administrator' && !target.is_placeholder;

export const userPolicy = {
  view: manageable,
  edit: manageable,
  changeRole: manageable,
  disable: manageable,
  enable: manageable,
  endSessions: manageable,
  resendVerification: manageable,
  unlock: manageable,
  resetTwoFactor: manageable,
  delete: manageable,
} satisfies Policy<User>;

export type UserAction = keyof typeof userPolicy;

/** The account an administrator route acts on (`/admin/users/:id/...`), loaded and authorized by `loadTargetUser`. */
export const targetUser = defineSubject<User>('target user');

/** A preHandler for routes with an `id` param: loads the user and authorizes `action` on them, or throws notFound(). */
export function loadTargetUser(action: UserAction): preHandlerAsyncHookHandler {
  return targetUser.loader(async (request) => {
    // A route that attaches validation errors (to re-render its form) still gets a checked id here, or none.
    const id = Number((request.params as { id?: unknown }).id);
    const user = Number.isSafeInteger(id) && id > 0 ? await findUserById(request.server.db, id) : undefined;
    authorize(userPolicy, requireUser(request), action, user);
    return user;
  });
}

/** Which one-button actions the user page offers, from the account's state (the view shows these, deciding nothing). */
export interface UserPageActions {
  enable: boolean;
  disable: boolean;
  resendVerification: boolean;
  resetTwoFactor: boolean;
  /** Sign-in has recent failures to clear (or is paused: then the button unlocks it). */
  unlock: boolean;
}

export function userPageActions(target: User, signIn: { failures: number; pausedMs: number } | null): UserPageActions {
  return {
    enable: target.disabled_at !== null,
    disable: target.disabled_at === null,
    resendVerification: target.email_verified_at === null,
    resetTwoFactor: target.totp_enabled_at !== null,
    unlock: signIn !== null,
  };
}
