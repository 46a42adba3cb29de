import type { Config } from '../../config.ts';
import type { DB, User } from '../../db/database.ts';
import { decrypt, deriveKey, encrypt } from '../../lib/crypto.ts';
import { consumeRecoveryCode, normaliseRecoveryCode, replaceRecoveryCodes } from './recovery-codes.ts';
import { matchTotp } from './totp.ts';

const ENROLMENT_TTL_MS = 30 * 60_000;

export type SecondFactor = { ok: true; method: 'totp' } | { ok: true; method: 'recovery'; remaining: number } | { ok: false };

export function createTwoFactorKeys(config: Config) {
  return { secret: deriveKey(config.secretKey, 'totp-secret'), enrolment: deriveKey(config.secretKey, 'totp-enrolment') };
}
export type TwoFactorKeys = ReturnType<typeof createTwoFactorKeys>;

export function openTotpSecret(keys: TwoFactorKeys, user: User): string | null {
  return user.totp_secret_enc ? decrypt(keys.secret, user.totp_secret_enc, `user:${user.id}`) : null;
}

/**
 * The secret being set up travels in the form, sealed and bound to this user and session, so showing the
 * setup page writes nothing and a sealed secret cannot be replayed into another account or session.
 */
export function sealEnrolment(keys: TwoFactorKeys, userId: number, sessionId: string, secret: string, now: number): string {
  return encrypt(keys.enrolment, JSON.stringify({ s: secret, t: now }), `enrol:${userId}:${sessionId}`);
}

export function openEnrolment(keys: TwoFactorKeys, userId: number, sessionId: string, sealed: string, now: number): string | null {
  const opened = decrypt(keys.enrolment, sealed, `enrol:${userId}:${sessionId}`);
  if (!opened) {
    return null;
  }
  const { s, t } = JSON.parse(opened) as { s: string; t: number };
  return now - t < ENROLMENT_TTL_MS ? s : null;
}

/**
 * Records that a code for `step` was used, unless a code for that step (or a later one) already was.
 * One conditional UPDATE, so two requests racing with the same code cannot both pass.
 */
async function claimStep(db: DB, userId: number, step: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Checks a TOTP code (current step ±1, never twice) or a recovery code (once). */
export async function verifySecondFactor(db: DB, keys: TwoFactorKeys, secretKey: string, user: User, input: string, now: number): Promise<SecondFactor> {
  const code = input.replace(/\s/g, '');
  if (/^\d{6}$/.test(code)) {
    const secret = openTotpSecret(keys, user);
    const step = secret ? matchTotp(secret, code, now) : null;
    return step !== null && (await claimStep(db, user.id, step)) ? { ok: true, method: 'totp' } : { ok: false };
  }
  if (normaliseRecoveryCode(code)) {
    const remaining = await consumeRecoveryCode(db, secretKey, user.id, code, now);
    return remaining === null ? { ok: false } : { ok: true, method: 'recovery', remaining };
  }
  return { ok: false };
}

/** Stores a verified new secret and a fresh set of recovery codes; returns the codes to show once. */
export async function enrolTotp(db: DB, keys: TwoFactorKeys, secretKey: string, userId: number, secret: string, step: number, now: number): Promise<string[]> {
  await db
    .updateTable('users')
    .set({ totp_secret_enc: encrypt(keys.secret, secret, `user:${userId}`), totp_enabled_at: now, totp_last_step: step, updated_at: now })
    .where('id', '=', userId)
    .execute();
  return replaceRecoveryCodes(db, secretKey, userId, now);
}

/** Removes the factor and its recovery codes (the caller ends the sessions): the next sign-in enrols again. */
export async function clearTwoFactor(db: DB, userId: number, now: number): Promise<void> {
  await db.updateTable('users').set({ totp_secret_enc: null, totp_enabled_at: null, totp_last_step: null, updated_at: now }).where('id', '=', userId).execute();
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
}
