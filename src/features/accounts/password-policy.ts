import { dictionary } from '@zxcvbn-ts/language-common';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';

/**
 * NIST SP 800-63B / OWASP ASVS 5.0 §6.2: a minimum length, a generous maximum, no composition rules,
 * no truncation, and a blocklist of common and breached passwords (zxcvbn-ts's ~49,000), loaded once.
 */
const BLOCKLIST: ReadonlySet<string> = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));

export const PRODUCT_WORD = 'parapet';

export interface PasswordPolicy {
  minLength: number;
}

/** Returns the reason a password is refused, or null when it is acceptable. */
export function checkPassword(policy: PasswordPolicy, password: string, email?: string): string | null {
  const length = [...password].length;
  if (length < policy.minLength) {
    return `Use at least ${policy.minLength} characters. A few unrelated words make a strong, memorable password.`;
  }
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    return `Use at most ${MAX_PASSWORD_BYTES} bytes.`;
  }
  const lower = password.toLowerCase();
  if (BLOCKLIST.has(lower) || BLOCKLIST.has(lower.replace(/[\s\d!?.]+$/, ''))) {
    return 'This password is too common: it appears in lists of leaked passwords. Choose another.';
  }
  if (new Set(lower).size <= 2) {
    return 'This password repeats too few characters. Choose another.';
  }
  if (lower.includes(PRODUCT_WORD)) {
    return 'Do not use the name of this service in your password.';
  }
  const local = email?.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 3 && lower.includes(local)) {
    return 'Do not use your email address in your password.';
  }
  return null;
}
