import type { User } from '../db/database.ts';
import { notFound } from '../lib/errors.ts';

/** A policy: one yes/no rule per action on a kind of subject (outline's `allow(User, ['read'], Ticket, …)`). */
export type Policy<S> = Record<string, (user: User, subject: S) => boolean>;

/**
 * Refuses with the same 404 as a subject that does not exist: a client cannot tell another client's ticket
 * from no ticket. `subject` may be null (not found), which is refused the same way.
 */
export function authorize<S, P extends Policy<S>>(
  policy: P,
  user: User,
  action: keyof P & string,
  subject: S | null | undefined,
): asserts subject is S {
  if (subject === null || subject === undefined || !policy[action]!(user, subject)) {
    throw notFound();
  }
}
