import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { User } from '../../db/database.ts';
import { hmac, randomToken, safeEqual, sha256Hex } from '../../lib/crypto.ts';
import { cookieSettings } from '../../lib/cookies.ts';

/**
 * Device cookies (OWASP "Slow brute force" / device cookie design): after a complete sign-in the browser
 * gets an HttpOnly cookie `v1.<userId>.<deviceId>.<expiresAt>.<mac>`, where mac is an HMAC-SHA256 under
 * SECRET_KEY over the user id, a random device id, the expiry and a hash of the user's current password
 * hash. A sign-in attempt that carries a valid device cookie for the account being signed in to is counted
 * on that device's own counter instead of the account's, so an attacker hammering the account from
 * elsewhere cannot keep its owner out of their usual browser. Changing or resetting the password changes
 * the password hash and so voids every device cookie of the account. One cookie per browser: signing in
 * to another account replaces it.
 */
export const DEVICE_COOKIE_DAYS = 180;
const PURPOSE = 'device-cookie';
const PATTERN = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

export function deviceCookieName(config: Config): string {
  return `${cookieSettings(config).names.session.replace(/parapet_session$/, '')}parapet_device`;
}

function mac(config: Config, userId: number, deviceId: string, expiresAt: number, passwordHash: string): string {
  return hmac(config.secretKey, PURPOSE, `${userId}.${deviceId}.${expiresAt}.${sha256Hex(passwordHash)}`);
}

/** Sets (or renews) the device cookie for a user who has just signed in completely. */
export function issueDeviceCookie(
  reply: FastifyReply,
  config: Config,
  user: Pick<User, 'id' | 'password_hash'>,
  now: number,
): void {
  const maxAge = DEVICE_COOKIE_DAYS * 24 * 3600;
  const expiresAt = now + maxAge * 1000;
  const deviceId = randomToken(16);
  const value = `v1.${user.id}.${deviceId}.${expiresAt}.${mac(config, user.id, deviceId, expiresAt, user.password_hash)}`;
  reply.setCookie(deviceCookieName(config), value, { ...cookieSettings(config).options, maxAge });
}

/**
 * The device id when the request carries a valid, unexpired device cookie for this user (and their current
 * password), otherwise null. The MAC is compared in constant time.
 */
export function trustedDevice(
  request: FastifyRequest,
  config: Config,
  user: Pick<User, 'id' | 'password_hash'> | undefined,
  now: number,
): string | null {
  const raw = request.cookies[deviceCookieName(config)];
  const parts = raw ? PATTERN.exec(raw) : null;
  if (!parts || !user) {
    return null;
  }
  const [, userId, deviceId, expiresAt, given] = parts as unknown as [string, string, string, string, string];
  if (Number(userId) !== user.id || Number(expiresAt) <= now) {
    return null;
  }
  return safeEqual(given, mac(config, user.id, deviceId, Number(expiresAt), user.password_hash)) ? deviceId : null;
}
