import type { ServiceDeps } from '../../app-deps.ts';
import type { Limits } from '../../plugins/rate-limit.ts';
import type { Config } from '../../config.ts';
import type { DB, User } from '../../db/database.ts';
import { decrypt, deriveKey, encrypt } from '../../lib/crypto.ts';
import type { Origin } from '../../lib/origin.ts';
import { recoveryCodeUsedMail, twoFactorEnabledMail, twoFactorResetMail } from '../../mail/templates.tsx';
import { recordAudit } from '../../audit/audit.repository.ts';
import { recordFailedLogin } from '../auth/failed-login.repository.ts';
import { endUserSessions } from '../auth/session.service.ts';
import { claimTotpStep, clearTotpSecret, setTotpSecret } from '../users/user.repository.ts';
import { consumeRecoveryCode, normaliseRecoveryCode, replaceRecoveryCodes } from './recovery-codes.ts';
import { generateTotpSecret, groupSecret, matchTotp, qrCodeDataUri, totpUri } from './totp.ts';
import { countRecoveryCodes, deleteRecoveryCodes } from './two-factor.repository.ts';

const ENROLMENT_TTL_MS = 30 * 60_000;

export const WRONG_CODE = 'That code is not valid. Codes change every 30 seconds, and each one works only once.';
export const SETUP_EXPIRED = 'The setup expired. Scan this new code and try again.';
const WRONG_PASSWORD = 'Your current password is not correct.';

export type SecondFactor =
  { ok: true; method: 'totp' } | { ok: true; method: 'recovery'; remaining: number } | { ok: false };

export function createTwoFactorKeys(config: Config) {
  return {
    secret: deriveKey(config.secretKey, 'totp-secret'),
    enrolment: deriveKey(config.secretKey, 'totp-enrolment'),
  };
}
export type TwoFactorKeys = ReturnType<typeof createTwoFactorKeys>;

/** What the two-factor flows need: the keys, the code and password limits, the hasher and the mailer. */
export type TwoFactorDeps = Pick<ServiceDeps, 'db' | 'now' | 'secretKey' | 'issuer' | 'hasher' | 'mail'> & {
  keys: TwoFactorKeys;
  limits: Pick<Limits, 'secondFactorIp' | 'secondFactorAccount' | 'currentPassword'>;
};

export function openTotpSecret(keys: TwoFactorKeys, user: User): string | null {
  return user.totp_secret_enc ? decrypt(keys.secret, user.totp_secret_enc, `user:${user.id}`) : null;
}

/**
 * The secret being set up travels in the form, sealed and bound to this user and session, so showing the
 * setup page writes nothing and a sealed secret cannot be replayed into another account or session.
 */
export function sealEnrolment(
  keys: TwoFactorKeys,
  userId: number,
  sessionId: string,
  secret: string,
  now: number,
): string {
  return encrypt(keys.enrolment, JSON.stringify({ s: secret, t: now }), `enrol:${userId}:${sessionId}`);
}

export function openEnrolment(
  keys: TwoFactorKeys,
  userId: number,
  sessionId: string,
  sealed: string,
  now: number,
): string | null {
  const opened = decrypt(keys.enrolment, sealed, `enrol:${userId}:${sessionId}`);
  if (!opened) {
    return null;
  }
  const { s, t } = JSON.parse(opened) as { s: string; t: number };
  return now - t < ENROLMENT_TTL_MS ? s : null;
}

/** Checks a TOTP code (current step ±1, never twice) or a recovery code (once). */
export async function verifySecondFactor(
  db: DB,
  keys: TwoFactorKeys,
  secretKey: string,
  user: User,
  input: string,
  now: number,
): Promise<SecondFactor> {
  const code = input.replace(/\s/g, '');
  if (/^\d{6}$/.test(code)) {
    const secret = openTotpSecret(keys, user);
    const step = secret ? matchTotp(secret, code, now) : null;
    return step !== null && (await claimTotpStep(db, user.id, step)) ? { ok: true, method: 'totp' } : { ok: false };
  }
  if (normaliseRecoveryCode(code)) {
    const remaining = await consumeRecoveryCode(db, secretKey, user.id, code, now);
    return remaining === null ? { ok: false } : { ok: true, method: 'recovery', remaining };
  }
  return { ok: false };
}

/** Stores a verified new secret and a fresh set of recovery codes; returns the codes to show once. */
export async function enrolTotp(
  db: DB,
  keys: TwoFactorKeys,
  secretKey: string,
  userId: number,
  secret: string,
  step: number,
  now: number,
): Promise<string[]> {
  await setTotpSecret(db, userId, encrypt(keys.secret, secret, `user:${userId}`), step, now);
  return replaceRecoveryCodes(db, secretKey, userId, now);
}

/** Removes the factor and its recovery codes (the caller ends the sessions): the next sign-in enrols again. */
export async function clearTwoFactor(db: DB, userId: number, now: number): Promise<void> {
  await clearTotpSecret(db, userId, now);
  await deleteRecoveryCodes(db, userId);
}

export interface EnrolmentView {
  qrDataUri: string;
  secretGrouped: string;
  uri: string;
  sealed: string;
}

/** The setup page's secret: the one the form carried back (`keepSealed`, while still valid) or a new one. */
export async function prepareEnrolment(
  deps: TwoFactorDeps,
  user: User,
  sessionId: string,
  keepSealed?: string,
): Promise<EnrolmentView> {
  const secret =
    (keepSealed && openEnrolment(deps.keys, user.id, sessionId, keepSealed, deps.now)) || generateTotpSecret();
  const uri = totpUri(secret, deps.issuer, user.email);
  return {
    qrDataUri: await qrCodeDataUri(uri),
    secretGrouped: groupSecret(secret),
    uri,
    sealed: sealEnrolment(deps.keys, user.id, sessionId, secret, deps.now),
  };
}

/**
 * Checks a TOTP or recovery code, count first: a point of the IP's and of the account's code limits is
 * spent before the check (429 when none is left), and given back when the code was right.
 */
async function checkCode(deps: TwoFactorDeps, origin: Origin, user: User, code: string): Promise<SecondFactor> {
  const ipAttempt = await deps.limits.secondFactorIp.consume(origin.ip);
  const accountAttempt = await deps.limits.secondFactorAccount.consume(user.id);
  const result = await verifySecondFactor(deps.db, deps.keys, deps.secretKey, user, code, deps.now);
  if (result.ok) {
    await Promise.all([ipAttempt.refund(), accountAttempt.refund()]);
  }
  return result;
}

/** The current password, counted against the account's limit before it is checked (429 once spent). */
function checkPassword(deps: TwoFactorDeps, user: User, password: string): Promise<boolean> {
  return deps.limits.currentPassword.guard(user.id, () => deps.hasher.verify(user.password_hash, password));
}

/** Records a wrong password or code like a failed login (the limits counted it before the check). */
async function recordWrongCode(deps: TwoFactorDeps, origin: Origin, user: User, stage: string): Promise<void> {
  await recordFailedLogin(deps.db, deps.now, {
    ip: origin.ip,
    email: user.email,
    userId: user.id,
    reason: 'wrong_code',
  });
  await recordAudit(deps.db, deps.now, origin, {
    event: 'login.failure',
    targetUserId: user.id,
    details: { reason: 'wrong_code', stage },
  });
}

/** The code step of a sign-in (`code` null: the form could not be read, which counts as a wrong code). */
export async function signInWithCode(
  deps: TwoFactorDeps,
  origin: Origin,
  user: User,
  code: string | null,
): Promise<SecondFactor> {
  const result = code === null ? ({ ok: false } as const) : await checkCode(deps, origin, user, code);
  if (!result.ok) {
    await recordWrongCode(deps, origin, user, 'mfa');
    return result;
  }
  await recordAudit(deps.db, deps.now, origin, {
    event: 'login.success',
    actorUserId: user.id,
    targetUserId: user.id,
    details: { method: result.method },
  });
  if (result.method === 'recovery') {
    const remaining = result.remaining;
    await deps.db.transaction().execute(async (trx) => {
      await deps.mail.enqueue(trx, user.email, recoveryCodeUsedMail(remaining, deps.mail.link('/account/two-factor')));
      await recordAudit(trx, deps.now, origin, {
        event: '2fa.recovery_code_used',
        actorUserId: user.id,
        targetUserId: user.id,
        details: { remaining },
      });
    });
    deps.mail.deliverSoon();
  }
  return result;
}

/** Re-authentication: the password, and a code when the account has a second factor. */
export async function reauthenticate(
  deps: TwoFactorDeps,
  origin: Origin,
  user: User,
  input: { password: string; code?: string | undefined } | null,
): Promise<boolean> {
  const needsCode = Boolean(user.totp_enabled_at);
  const passwordOk = input !== null && (await checkPassword(deps, user, input.password));
  const codeOk = !needsCode || (passwordOk && (await checkCode(deps, origin, user, input.code ?? '')).ok);
  if (!passwordOk || !codeOk) {
    await recordWrongCode(deps, origin, user, 'reauth');
    return false;
  }
  await recordAudit(deps.db, deps.now, origin, {
    event: 'auth.reauthenticated',
    actorUserId: user.id,
    targetUserId: user.id,
  });
  return true;
}

async function storeEnrolment(
  deps: TwoFactorDeps,
  origin: Origin,
  user: User,
  sessionId: string,
  secret: string,
  step: number,
  replacing: boolean | null,
): Promise<string[]> {
  const { now } = deps;
  const codes = await deps.db.transaction().execute(async (trx) => {
    const made = await enrolTotp(trx, deps.keys, deps.secretKey, user.id, secret, step, now);
    await endUserSessions(trx, now, origin, {
      userId: user.id,
      actorUserId: user.id,
      keep: sessionId,
      reason: '2fa_enrolled',
    });
    await deps.mail.enqueue(trx, user.email, twoFactorEnabledMail(deps.mail.link('/account/two-factor')));
    if (replacing === null) {
      await recordAudit(trx, now, origin, { event: '2fa.enrolled', actorUserId: user.id, targetUserId: user.id });
      await recordAudit(trx, now, origin, {
        event: 'login.success',
        actorUserId: user.id,
        targetUserId: user.id,
        details: { method: 'totp_enrolment' },
      });
    } else {
      await recordAudit(trx, now, origin, {
        event: '2fa.enrolled',
        actorUserId: user.id,
        targetUserId: user.id,
        details: { replaced: replacing },
      });
    }
    return made;
  });
  deps.mail.deliverSoon();
  return codes;
}

export type EnrolResult =
  | { ok: true; codes: string[] }
  | { ok: false; errors: { error?: string; passwordError?: string; oldCodeError?: string }; keepSealed?: string };

/**
 * The first enrolment, right after the password (a `mfa_enrol` session). `sealed` is absent when the form could
 * not be read (the setup starts again), `code` null when the code could not be (a wrong code: the same secret stays).
 */
export async function enrolFirstAuthenticator(
  deps: TwoFactorDeps,
  origin: Origin,
  user: User,
  sessionId: string,
  input: { sealed: string | undefined; code: string | null },
): Promise<EnrolResult> {
  const secret = input.sealed ? openEnrolment(deps.keys, user.id, sessionId, input.sealed, deps.now) : null;
  if (!input.sealed || !secret) {
    return { ok: false, errors: { error: SETUP_EXPIRED } };
  }
  const step = input.code === null ? null : matchTotp(secret, input.code.replace(/\s/g, ''), deps.now);
  if (step === null) {
    return { ok: false, errors: { error: WRONG_CODE }, keepSealed: input.sealed };
  }
  return { ok: true, codes: await storeEnrolment(deps, origin, user, sessionId, secret, step, null) };
}

/** Setting up an authenticator from the account page: the password, and the old factor when replacing one. */
export async function replaceAuthenticator(
  deps: TwoFactorDeps,
  origin: Origin,
  user: User,
  sessionId: string,
  input: { sealed: string; code: string; old_code: string; current_password: string },
): Promise<EnrolResult> {
  const replacing = Boolean(user.totp_enabled_at);
  const secret = openEnrolment(deps.keys, user.id, sessionId, input.sealed, deps.now);
  if (!secret) {
    return { ok: false, errors: { error: SETUP_EXPIRED } };
  }
  const passwordOk = await checkPassword(deps, user, input.current_password);
  const oldOk = !replacing || (passwordOk && (await checkCode(deps, origin, user, input.old_code)).ok);
  if (!passwordOk || !oldOk) {
    await recordWrongCode(deps, origin, user, 'reenrol');
    const errors = passwordOk ? { oldCodeError: WRONG_CODE } : { passwordError: WRONG_PASSWORD };
    return { ok: false, errors, keepSealed: input.sealed };
  }
  const step = matchTotp(secret, input.code.replace(/\s/g, ''), deps.now);
  if (step === null) {
    return {
      ok: false,
      errors: { error: `The code from the new app is not valid. ${WRONG_CODE}` },
      keepSealed: input.sealed,
    };
  }
  return { ok: true, codes: await storeEnrolment(deps, origin, user, sessionId, secret, step, replacing) };
}

export type RegenerateResult =
  { ok: true; codes: string[] } | { ok: false; errors: { passwordError?: string; codeError?: string } };

/** New recovery codes, after the password and a code; the old set stops working and other sessions end. */
export async function regenerateRecoveryCodes(
  deps: TwoFactorDeps,
  origin: Origin,
  user: User,
  sessionId: string,
  input: { current_password: string; code: string },
): Promise<RegenerateResult> {
  const passwordOk = await checkPassword(deps, user, input.current_password);
  const codeOk = passwordOk && (await checkCode(deps, origin, user, input.code)).ok;
  if (!passwordOk || !codeOk) {
    await recordWrongCode(deps, origin, user, 'recovery_codes');
    return { ok: false, errors: passwordOk ? { codeError: WRONG_CODE } : { passwordError: WRONG_PASSWORD } };
  }
  const { now } = deps;
  const codes = await deps.db.transaction().execute(async (trx) => {
    const made = await replaceRecoveryCodes(trx, deps.secretKey, user.id, now);
    await endUserSessions(trx, now, origin, {
      userId: user.id,
      actorUserId: user.id,
      keep: sessionId,
      reason: 'recovery_codes_regenerated',
    });
    await recordAudit(trx, now, origin, {
      event: '2fa.recovery_codes_regenerated',
      actorUserId: user.id,
      targetUserId: user.id,
    });
    return made;
  });
  return { ok: true, codes };
}

export function unusedRecoveryCodes(deps: Pick<TwoFactorDeps, 'db'>, user: User): Promise<number> {
  return countRecoveryCodes(deps.db, user.id);
}

/** An administrator resets someone's second factor (lost phone and codes): every session of theirs ends. */
export async function resetTwoFactor(
  deps: Pick<TwoFactorDeps, 'db' | 'now' | 'mail'>,
  origin: Origin,
  admin: User,
  target: User,
): Promise<void> {
  const { now } = deps;
  await deps.db.transaction().execute(async (trx) => {
    await clearTwoFactor(trx, target.id, now);
    await endUserSessions(trx, now, origin, {
      userId: target.id,
      actorUserId: admin.id,
      keep: null,
      reason: '2fa_reset',
    });
    await deps.mail.enqueue(trx, target.email, twoFactorResetMail(deps.mail.link('/login')));
    await recordAudit(trx, now, origin, { event: '2fa.reset', actorUserId: admin.id, targetUserId: target.id });
  });
  deps.mail.deliverSoon();
}
