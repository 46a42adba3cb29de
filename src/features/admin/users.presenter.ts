import type { Role, User } from '../../db/database.ts';
import { ROLE_LABEL } from '../../views/components/badge.tsx';
import type { UserPageActions } from '../users/user.policy.ts';

/** What the administrator pages call a person: their name, or their address when they have none. */
export function displayName(user: Pick<User, 'name' | 'email'>): string {
  return user.name.trim() || user.email;
}

const sessions = (n: number) => `${n} session${n === 1 ? '' : 's'}`;

/** What ending the sessions did, said to the administrator after a role change, an address change or a disable. */
function signedOut(n: number): string {
  return n > 0
    ? `They were signed out of ${sessions(n)} and must sign in again`
    : 'They had no active session: the change applies at their next sign-in';
}

/** The flash after an administrator's edit of someone else's account. */
export function savedMessage(
  user: Pick<User, 'name' | 'email'>,
  change: { role: Role | null; emailTo: string | null; sessionsEnded: number },
): string {
  const who = displayName(user);
  const parts: string[] = [];
  if (change.role) {
    parts.push(`${who}’s role is now ${ROLE_LABEL[change.role]}`);
  }
  if (change.emailTo) {
    parts.push(
      `${parts.length ? 'their' : `${who}’s`} address is now ${change.emailTo}, to be confirmed from the link we sent`,
    );
  }
  if (parts.length === 0) {
    return 'Changes saved.';
  }
  // Sentences, not semicolons: the flash travels in a cookie, where a semicolon separates cookies.
  return `${parts.join(', and ')}. ${signedOut(change.sessionsEnded)}.`;
}

export function disabledMessage(user: Pick<User, 'name' | 'email'>, sessionsEnded: number): string {
  return `${displayName(user)}’s account is disabled. ${
    sessionsEnded > 0 ? `They were signed out of ${sessions(sessionsEnded)}` : 'They had no active session'
  }.`;
}

export function sessionsEndedMessage(user: Pick<User, 'name' | 'email'>, count: number): string {
  return count > 0
    ? `${displayName(user)} was signed out of ${sessions(count)} and must sign in again.`
    : `${displayName(user)} had no active session.`;
}

/** The warning beside the role field: saving another role signs the person out everywhere. */
export function roleChangeWarning(user: Pick<User, 'name' | 'email'>, activeSessions: number, self: boolean): string {
  if (self) {
    return 'Changing your own role signs you out of every session, this one included.';
  }
  const now = activeSessions > 0 ? ` (${sessions(activeSessions)} active now)` : '';
  return `Saving another role signs ${displayName(user)} out of every session${now}. They must sign in again.`;
}

/** A destructive action of the user page: offered, or shown disabled with the reason it does not apply. */
export interface DangerAction {
  key: 'disable' | 'endSessions' | 'resetTwoFactor' | 'delete';
  label: string;
  /** What the action does, shown beside its button. */
  description: string;
  /** A POST form's action, or a link (`href`) to a page that asks first. */
  action?: string;
  href?: string;
  confirm?: string;
  /** Why the button is disabled; undefined when it can be used. */
  disabledReason?: string;
}

export const ONLY_ADMINISTRATOR = 'This is the only active administrator: make someone else an administrator first.';

/**
 * The user page's danger zone. The server refuses the same actions (`checkAdministratorChange`); this only says
 * so before the click.
 */
export function dangerActions(
  user: Pick<User, 'id' | 'name' | 'email' | 'totp_enabled_at'>,
  state: { actions: UserPageActions; lastAdmin: boolean; sessions: number },
): DangerAction[] {
  const base = `/admin/users/${user.id}`;
  const who = displayName(user);
  const lastAdmin = state.lastAdmin ? ONLY_ADMINISTRATOR : undefined;
  const list: DangerAction[] = [];
  if (state.actions.disable) {
    list.push({
      key: 'disable',
      label: 'Disable account',
      description: 'They can no longer sign in and are signed out at once. You can enable the account again.',
      action: `${base}/disable`,
      confirm: `Disable ${who}’s account? They are signed out at once.`,
      ...(lastAdmin ? { disabledReason: lastAdmin } : {}),
    });
  }
  list.push({
    key: 'endSessions',
    label: 'Sign out everywhere',
    description: 'Ends all of their sessions, on every device.',
    action: `${base}/sessions/revoke`,
    confirm: `Sign ${who} out of every session?`,
    ...(state.sessions === 0 ? { disabledReason: 'No active session.' } : {}),
  });
  list.push({
    key: 'resetTwoFactor',
    label: 'Reset two-factor',
    description: 'Removes their authenticator and recovery codes; they set up a new one at their next sign-in.',
    action: `${base}/two-factor/reset`,
    confirm: `Reset ${who}’s two-factor authentication? They must set it up again.`,
    ...(state.actions.resetTwoFactor ? {} : { disabledReason: 'Two-factor is not set up.' }),
  });
  list.push({
    key: 'delete',
    label: 'Delete account…',
    description: 'Deletes the account for good; the next page asks what happens to their tickets.',
    href: `${base}/delete`,
    ...(lastAdmin ? { disabledReason: lastAdmin } : {}),
  });
  return list;
}
