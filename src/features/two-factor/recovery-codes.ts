import { randomInt } from 'node:crypto';
import type { DB } from '../../db/database.ts';
import { hmac, safeEqual } from '../../lib/crypto.ts';
import { listUnusedRecoveryCodes, markRecoveryCodeUsed, replaceRecoveryCodeHashes } from './two-factor.repository.ts';

export const RECOVERY_CODE_COUNT = 10;
// Crockford-style alphabet without look-alikes (0/O, 1/I/L): 31 symbols, 10 per code ≈ 49.5 bits.
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** Uppercase, without spaces or dashes; null when it cannot be a recovery code. */
export function normaliseRecoveryCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return /^[23456789A-HJKMNP-Z]{10}$/.test(code) ? code : null;
}

function hashCode(secretKey: string, normalised: string): string {
  return hmac(secretKey, 'recovery-code', normalised);
}

/** Replaces the user's codes with a new set (the old set stops working) and returns the new codes. */
export async function replaceRecoveryCodes(db: DB, secretKey: string, userId: number, now: number): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await replaceRecoveryCodeHashes(
    db,
    userId,
    codes.map((code) => hashCode(secretKey, normaliseRecoveryCode(code) ?? '')),
    now,
  );
  return codes;
}

/**
 * Uses a recovery code up. Each unused code is compared in constant time; the UPDATE only succeeds once
 * even if two requests race with the same code. Returns how many codes remain, or null when none matched.
 */
export async function consumeRecoveryCode(
  db: DB,
  secretKey: string,
  userId: number,
  input: string,
  now: number,
): Promise<number | null> {
  const normalised = normaliseRecoveryCode(input);
  if (!normalised) {
    return null;
  }
  const candidate = hashCode(secretKey, normalised);
  const unused = await listUnusedRecoveryCodes(db, userId);
  let match: number | null = null;
  for (const row of unused) {
    if (safeEqual(row.code_hash, candidate)) {
      match = row.id;
    }
  }
  if (match === null || !(await markRecoveryCodeUsed(db, match, now))) {
    return null;
  }
  return unused.length - 1;
}
