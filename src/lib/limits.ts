import type { Config } from '../config.ts';

/**
 * What a limit's key is: the client's network (IPv4 address or IPv6 /64), an account id, an email address's hash, or
 * one key for the whole application.
 */
export type LimitKind = 'ip' | 'account' | 'address' | 'global';

export interface LimitRule {
  /** The counter's name in the store (`rate_limits.key` / Redis key prefix). */
  name: string;
  per: LimitKind;
  /** Attempts admitted per window. */
  points: number;
  windowSeconds: number;
  /** The first attempt refused after the points are spent starts a block of this long (default: the rest of the window). */
  blockSeconds?: number;
  /** What one point pays for, in words (for SECURITY.md and the measuring script). */
  counts: string;
}

/**
 * Every limit of the application, in one place. Each attempt spends a point BEFORE the expensive or
 * guessable check runs (count first, atomically in the store); a check that succeeds gives its point
 * back, so only failures accumulate.
 */
export function limitRules(env: Config['env']) {
  return {
    loginIp: {
      name: 'login_ip',
      per: 'ip',
      points: env.LOGIN_MAX_ATTEMPTS,
      windowSeconds: env.LOGIN_WINDOW_MINUTES * 60,
      blockSeconds: env.LOGIN_LOCK_MINUTES * 60,
      counts: 'password sign-in attempts (POST /login); a right password gives its point back',
    },
    secondFactorAccount: {
      name: 'code_account',
      per: 'account',
      points: 5,
      windowSeconds: 15 * 60,
      blockSeconds: 15 * 60,
      counts:
        'checks of a TOTP or recovery code (sign-in code step, /reauth, replacing the authenticator, new recovery codes); a right code gives its point back',
    },
    secondFactorIp: {
      name: 'code_ip',
      per: 'ip',
      points: 30,
      windowSeconds: 15 * 60,
      blockSeconds: 15 * 60,
      counts: 'the same code checks, from one network across accounts',
    },
    currentPassword: {
      name: 'password_check_account',
      per: 'account',
      points: 5,
      windowSeconds: 15 * 60,
      blockSeconds: 15 * 60,
      counts:
        'current-password checks by a signed-in session (/reauth, /account/password, /account/email, authenticator and recovery-code changes); a right password gives its point back',
    },
    resetIp: {
      name: 'reset_ip',
      per: 'ip',
      points: 20,
      windowSeconds: 3600,
      counts: 'password reset requests (POST /forgot-password)',
    },
    resetAddress: {
      name: 'reset_address',
      per: 'address',
      points: 3,
      windowSeconds: 3600,
      counts: 'reset emails to one address; over the limit the answer looks the same and no email is sent',
    },
    registrationIp: {
      name: 'register_ip',
      per: 'ip',
      points: 10,
      windowSeconds: 3600,
      counts: 'registrations (valid POST /register forms)',
    },
    verificationResend: {
      name: 'verify_resend',
      per: 'account',
      points: 3,
      windowSeconds: 15 * 60,
      counts: 'verification emails resent to one unverified account (POST /verify-email/resend)',
    },
    unlockMail: {
      name: 'unlock_mail',
      per: 'account',
      points: 1,
      windowSeconds: 3600,
      counts:
        '"unlock my account" emails to the owner of a paused account; over the limit no email is sent and the answer looks the same',
    },
    ticketsPerClient: {
      name: 'quota-tickets',
      per: 'account',
      points: env.TICKETS_PER_HOUR,
      windowSeconds: 3600,
      counts: 'tickets opened by one client (staff are exempt)',
    },
    messagesPerClient: {
      name: 'quota-messages',
      per: 'account',
      points: env.MESSAGES_PER_HOUR,
      windowSeconds: 3600,
      counts: 'messages sent by one client (staff are exempt)',
    },
    staffMailPerClient: {
      name: 'quota-staff-mail',
      per: 'account',
      points: env.STAFF_NOTIFICATIONS_PER_HOUR,
      windowSeconds: 3600,
      counts: "staff notification emails caused by one client's new tickets and replies",
    },
    staffMailNotice: {
      name: 'quota-staff-mail-notice',
      per: 'account',
      points: 1,
      windowSeconds: 3600,
      counts: 'the one "further updates this hour are not emailed" notice per client and hour',
    },
    inboundSender: {
      name: 'inbound_sender',
      per: 'address',
      points: env.INBOUND_PER_SENDER_PER_HOUR,
      windowSeconds: 3600,
      counts:
        'inbound emails from one sender address that are processed (over the limit they are held for staff, never dropped)',
    },
    webhookIp: {
      name: 'webhook_ip',
      per: 'ip',
      points: 200,
      windowSeconds: 15 * 60,
      blockSeconds: 15 * 60,
      counts:
        'requests to the Mailgun webhooks (POST /inbound/mailgun…), counted before the body is read; a valid signature gives its point back, so only forged or broken requests accumulate',
    },
    inboundMessages: {
      name: 'inbound_all',
      per: 'global',
      points: env.INBOUND_PER_HOUR,
      windowSeconds: 3600,
      counts:
        'inbound emails stored, from every source together (a signed Mailgun request, before it is stored); a redelivery that stores nothing gives its point back',
    },
  } satisfies Record<string, LimitRule>;
}

export type LimitName = keyof ReturnType<typeof limitRules>;
