import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;

/** A new random 160-bit secret (RFC 4226's recommended length), base32 as authenticator apps expect. */
export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpFor(secretBase32: string, issuer = 'Parapet', label = 'account'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

export function totpUri(secretBase32: string, issuer: string, email: string): string {
  return totpFor(secretBase32, issuer, email).toString();
}

/** The secret in groups of four, for typing by hand. */
export function groupSecret(secretBase32: string): string {
  return secretBase32.replace(/(.{4})/g, '$1 ').trim();
}

export function timeStep(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * Checks a code against the current step ±1 (clock drift). Returns the time step the code belongs to,
 * which the caller records so the same code is never accepted twice; null when it matches no step.
 */
export function matchTotp(secretBase32: string, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) {
    return null;
  }
  // otpauth's validate() returns the step offset: 0 for the current step, so test against null.
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : timeStep(now) + delta;
}

/** The code an authenticator app would show at `now` (for tests and the benchmark). */
export function currentTotp(secretBase32: string, now: number): string {
  return totpFor(secretBase32).generate({ timestamp: now });
}

/** The otpauth:// URI as an SVG QR code, made here: no outside service ever sees the secret. */
export async function qrCodeDataUri(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}
