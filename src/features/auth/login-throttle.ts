import { sha256Hex } from '../../lib/crypto.ts';

/**
 * Consecutive sign-in attempts per attempted email (and, separately, per trusted device: see
 * device-cookie.ts). Every attempt is counted FIRST, in one conditional upsert, and only an attempt the
 * counter admits reaches argon2; a right password then clears the counter. The first FREE_FAILURES
 * attempts are free; the attempt that reaches it starts a 30-second pause, and each attempt admitted after
 * a pause doubles it up to MAX_PAUSE_MS. While paused, attempts are refused (429) without being counted
 * and without running argon2. There is no permanent lock: from any number of IPs an attacker gets at most
 * 12 guesses in the first hour and 4 an hour after that (about 100 a day) per account. Keys are hashes of
 * the email, known or not: a pause says nothing about whether an account exists.
 */
export const FREE_FAILURES = 5;
export const MAX_PAUSE_MS = 15 * 60_000;
const FIRST_PAUSE_MS = 30_000;
/** Failures older than this no longer count as consecutive. */
export const FAILURE_MEMORY_MS = 24 * 3_600_000;

export function throttleKey(email: string): string {
  return sha256Hex(`login:${email.trim().toLowerCase()}`);
}

/** The counter of one trusted device (a valid device cookie) of one user. */
export function deviceThrottleKey(userId: number, deviceId: string): string {
  return sha256Hex(`device:${userId}:${deviceId}`);
}

/** How long the attempt counted as number `count` pauses the key (0 for the free ones). */
export function pauseAfter(count: number): number {
  if (count < FREE_FAILURES) {
    return 0;
  }
  return Math.min(FIRST_PAUSE_MS * 2 ** Math.min(count - FREE_FAILURES, 30), MAX_PAUSE_MS);
}

export type Attempt = { admitted: true; count: number; pauseMs: number } | { admitted: false; retryMs: number };
