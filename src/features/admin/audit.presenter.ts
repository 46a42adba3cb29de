import { AUDIT_EVENTS, type AuditEvent } from '../../audit/audit.repository.ts';
import { ROLES, type Role } from '../../db/database.ts';
import { ROLE_LABEL } from '../../views/components/badge.tsx';
import type { AuditRow } from './admin.repository.ts';

/**
 * The audit log in words. Every event `recordAudit` can write has a label here (a `Record` over `AUDIT_EVENTS`, so a
 * new event without one does not compile); `describeAuditEvent` turns a row into a sentence and its details into
 * labelled values, never raw JSON.
 */
export const AUDIT_EVENT_LABEL: Record<AuditEvent, string> = {
  'login.success': 'Signed in',
  'login.failure': 'Sign-in failed',
  logout: 'Signed out',
  'user.bootstrap_admin': 'First administrator created',
  'user.registered': 'Account registered',
  'user.email_verified': 'Email address verified',
  'user.password_reset_requested': 'Password reset requested',
  'user.password_reset': 'Password reset',
  'user.password_changed': 'Password changed',
  'user.email_change_requested': 'Email change requested',
  'user.email_changed': 'Email address changed',
  'session.revoked': 'Sessions ended',
  '2fa.enrolled': 'Two-factor set up',
  '2fa.reset': 'Two-factor reset',
  '2fa.recovery_code_used': 'Recovery code used',
  '2fa.recovery_codes_regenerated': 'New recovery codes made',
  'auth.reauthenticated': 'Identity confirmed again',
  'ticket.deleted': 'Ticket deleted',
  'login.lockout': 'Sign-in paused',
  'login.unlocked': 'Sign-in unlocked',
  'user.created': 'Account created',
  'user.updated': 'Account edited',
  'user.role_changed': 'Role changed',
  'user.disabled': 'Account disabled',
  'user.enabled': 'Account enabled',
  'user.deleted': 'Account deleted',
  'user.verification_resent': 'Verification email sent again',
  'mail.failed': 'Email could not be delivered',
  'mail.applied': 'Incoming email added',
  'mail.held': 'Incoming email held for review',
  'mail.ignored': 'Incoming email ignored',
  'mail.rejected': 'Incoming email rejected',
  'mail.inbound_failed': 'Incoming email could not be processed',
  'mail.approved': 'Held email approved',
  'mail.retried': 'Incoming email retried',
  'mail.undeliverable': 'Address reported undeliverable',
  'mail.undeliverable_cleared': 'Undeliverable mark cleared',
};

/** The filter's choices: every event, by its label. */
export function auditEventOptions(): Array<{ value: string; label: string }> {
  return [...AUDIT_EVENTS]
    .map((e) => ({ value: e, label: AUDIT_EVENT_LABEL[e] }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

/** Names for the details' keys. A key missing here is shown humanized ("ticketCount" → "Ticket count"). */
const DETAIL_LABEL: Record<string, string> = {
  reason: 'Reason',
  email: 'Address',
  consecutive: 'Failures in a row',
  scope: 'Applies to',
  count: 'Sessions',
  stage: 'Step',
  method: 'Method',
  remaining: 'Recovery codes left',
  replaced: 'Replaced an earlier authenticator',
  from: 'From',
  to: 'To',
  emailFrom: 'Old address',
  emailTo: 'New address',
  role: 'Role',
  tickets: 'Their tickets',
  ticketCount: 'Tickets',
  ticketId: 'Ticket',
  via: 'How',
  generated: 'Password generated',
  pauseSeconds: 'Paused for',
  unlockMailSent: 'Unlock link emailed',
  unlockedIp: 'IP address',
  mailId: 'Outbox message',
  kind: 'Kind',
  attempts: 'Attempts',
  inboxId: 'Incoming message',
  outcome: 'Outcome',
  address: 'Address',
  source: 'Reported by',
  was: 'Was',
  error: 'Error',
  bounces: 'Bounces',
  subject: 'Subject',
};

/** Words for the coded values the services write. A value missing here is shown with underscores as spaces. */
const VALUE_LABEL: Record<string, string> = {
  wrong_password: 'Wrong password',
  unknown_email: 'No account with this address',
  disabled: 'Account disabled',
  wrong_code: 'Wrong code',
  locked: 'Too many attempts',
  ip_locked: 'Too many attempts from this IP address',
  password: 'Password',
  totp: 'Authenticator code',
  recovery: 'Recovery code',
  totp_enrolment: 'New authenticator',
  unverified: 'Address not yet verified',
  all: 'Every session',
  others: 'Every other session',
  one: 'One session',
  ip: 'IP address',
  account: 'Account',
  device: 'This device',
  administrator: 'By an administrator',
  email_link: 'From the emailed link',
  invitation: 'Invitation',
  inbound_email: 'From an incoming email',
  password_changed: 'Password changed',
  password_reset: 'Password reset',
  password_set: 'Password set',
  '2fa_enrolled': 'Two-factor set up',
  '2fa_reset': 'Two-factor reset',
  recovery_codes_regenerated: 'New recovery codes',
  email_changed: 'Address changed',
  role_changed: 'Role changed',
  kept: 'Kept, under “Deleted user”',
  deleted: 'Deleted',
  mailgun: 'Mailgun',
  imap: 'IMAP',
};

export interface AuditDetail {
  label: string;
  value: string;
}

export interface AuditEntryView {
  /** The event as a sentence: "Role changed from Client to Agent", "Two-factor reset by ada@example.com". */
  summary: string;
  details: AuditDetail[];
}

const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);
const roleName = (v: unknown) => (isRole(v) ? ROLE_LABEL[v] : text(v));
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function humanizeKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function duration(seconds: number): string {
  if (seconds < 90) {
    return plural(Math.round(seconds), 'second', 'seconds');
  }
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? plural(minutes, 'minute', 'minutes') : plural(Math.round(minutes / 60), 'hour', 'hours');
}

/** A detail's value in words; structured values (none are written today) become "key: value" pairs, never JSON. */
function text(value: unknown): string {
  if (value === null || value === undefined || value === '') {
    return '—';
  }
  if (typeof value === 'boolean') {
    return value ? 'Yes' : 'No';
  }
  if (typeof value === 'number') {
    return String(value);
  }
  if (typeof value === 'string') {
    return VALUE_LABEL[value] ?? (/^[a-z0-9]+(_[a-z0-9]+)+$/.test(value) ? value.replace(/_/g, ' ') : value);
  }
  if (Array.isArray(value)) {
    return value.map(text).join(', ');
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${humanizeKey(k)}: ${text(v)}`)
      .join('; ');
  }
  return '—';
}

function formatDetail(key: string, value: unknown): string {
  if (key === 'pauseSeconds' && typeof value === 'number') {
    return duration(value);
  }
  if ((key === 'ticketId' || key === 'inboxId') && typeof value === 'number') {
    return `#${value}`;
  }
  if (key === 'role' || key === 'from' || key === 'to') {
    return roleName(value);
  }
  return text(value);
}

function parseDetails(json: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The sentence for an event and the details it already says (so they are not repeated below it). */
function summarize(
  event: string,
  d: Record<string, unknown>,
  actor: string | null,
  target: string | null,
): { summary: string; said: string[] } {
  const byOther = actor && actor !== target ? ` by ${actor}` : '';
  const label = (AUDIT_EVENT_LABEL as Record<string, string>)[event] ?? humanizeKey(event);
  switch (event) {
    case 'user.role_changed':
      return { summary: `Role changed from ${roleName(d.from)} to ${roleName(d.to)}${byOther}`, said: ['from', 'to'] };
    case '2fa.reset':
      return { summary: `Two-factor reset${byOther}`, said: [] };
    case 'login.failure':
      return { summary: d.reason ? `Sign-in failed: ${text(d.reason).toLowerCase()}` : label, said: ['reason'] };
    case 'session.revoked': {
      const count = typeof d.count === 'number' ? d.count : d.scope === 'one' ? 1 : null;
      const what = count === null ? 'Sessions ended' : `Signed out of ${plural(count, 'session', 'sessions')}`;
      return { summary: `${what}${byOther}`, said: ['count'] };
    }
    case 'user.email_changed':
      return { summary: `Email address changed from ${text(d.from)} to ${text(d.to)}`, said: ['from', 'to'] };
    case 'user.email_change_requested':
      return { summary: `Email change to ${text(d.to)} requested`, said: ['to'] };
    case 'user.updated':
      return d.emailTo
        ? {
            summary: `Account edited${byOther}: address changed from ${text(d.emailFrom)} to ${text(d.emailTo)}`,
            said: ['emailFrom', 'emailTo'],
          }
        : { summary: `Account edited${byOther}`, said: ['emailFrom', 'emailTo'] };
    case 'user.created':
      return d.via === 'inbound_email'
        ? { summary: 'Account created from an incoming email', said: ['via', 'role', 'email'] }
        : { summary: `Account created as ${roleName(d.role)}${byOther}`, said: ['role', 'email'] };
    case 'user.deleted':
      return { summary: `Account ${text(d.email)} deleted${byOther}`, said: ['email'] };
    case 'user.password_reset':
      return d.via === 'invitation'
        ? { summary: 'Password chosen from the invitation', said: ['via'] }
        : { summary: label, said: [] };
    case '2fa.recovery_code_used':
      return typeof d.remaining === 'number'
        ? { summary: `Recovery code used, ${d.remaining} left`, said: ['remaining'] }
        : { summary: label, said: [] };
    case 'login.lockout': {
      const whom = d.scope === 'ip' ? ' for this IP address' : d.scope === 'device' ? ' on this device' : '';
      const how = typeof d.pauseSeconds === 'number' ? ` for ${duration(d.pauseSeconds)}` : '';
      return { summary: `Sign-in paused${whom}${how}`, said: ['scope', 'pauseSeconds'] };
    }
    case 'login.unlocked':
      return d.scope === 'ip'
        ? { summary: `IP address ${text(d.unlockedIp)} unlocked${byOther}`, said: ['scope', 'unlockedIp'] }
        : d.via === 'email_link'
          ? { summary: 'Sign-in unlocked from the emailed link', said: ['scope', 'via'] }
          : { summary: `Sign-in unlocked${byOther}`, said: ['scope', 'via'] };
    case 'ticket.deleted':
      return { summary: `Ticket #${text(d.ticketId)} deleted${byOther}`, said: ['ticketId'] };
    case 'mail.applied':
      return typeof d.ticketId === 'number'
        ? { summary: `Incoming email added to ticket #${d.ticketId}`, said: ['ticketId'] }
        : { summary: label, said: [] };
    default:
      return { summary: `${label}${byOther}`, said: [] };
  }
}

function describeAuditEvent(row: Pick<AuditRow, 'event' | 'details' | 'actor_email' | 'target_email'>): AuditEntryView {
  const d = parseDetails(row.details);
  const { summary, said } = summarize(row.event, d, row.actor_email, row.target_email);
  const details = Object.entries(d)
    .filter(([k, v]) => !said.includes(k) && v !== null && v !== '')
    .map(([k, v]) => ({ label: DETAIL_LABEL[k] ?? humanizeKey(k), value: formatDetail(k, v) }));
  return { summary, details };
}

/** An audit row with its sentence and details, as the audit page shows it. */
export type AuditLine = AuditRow & { view: AuditEntryView };

export function presentAuditRows(rows: AuditRow[]): AuditLine[] {
  return rows.map((r) => ({ ...r, view: describeAuditEvent(r) }));
}
