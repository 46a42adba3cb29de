import type { DB, TokenPurpose, UserToken } from '../../db/database.ts';
import { randomToken, sha256Hex } from '../../lib/crypto.ts';

export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  verify_email: 24 * 3_600_000,
  change_email: 24 * 3_600_000,
  reset_password: 3_600_000,
  invite: 7 * 24 * 3_600_000,
};

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Issues a single-use token (256 random bits) and voids the user's earlier unused ones for the same
 * purpose. Only its SHA-256 is stored; the raw token goes into the email link and nowhere else.
 */
export async function issueToken(db: DB, now: number, userId: number, purpose: TokenPurpose, newEmail: string | null = null): Promise<string> {
  const token = randomToken(32);
  await db
    .updateTable('user_tokens')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
  await db
    .insertInto('user_tokens')
    .values({ user_id: userId, purpose, token_hash: sha256Hex(token), new_email: newEmail, created_at: now, expires_at: now + TOKEN_TTL_MS[purpose], used_at: null })
    .execute();
  return token;
}

/** The token's row if it is valid right now, without using it up (for showing the confirmation form). */
export async function peekToken(db: DB, token: string, purpose: TokenPurpose, now: number): Promise<UserToken | undefined> {
  if (!TOKEN_PATTERN.test(token)) {
    return undefined;
  }
  return db
    .selectFrom('user_tokens')
    .selectAll()
    .where('token_hash', '=', sha256Hex(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/**
 * Uses the token up. A single conditional UPDATE, so of two requests racing with the same token exactly
 * one gets the row back.
 */
export async function consumeToken(db: DB, token: string, purpose: TokenPurpose, now: number): Promise<UserToken | undefined> {
  if (!TOKEN_PATTERN.test(token)) {
    return undefined;
  }
  return db
    .updateTable('user_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', sha256Hex(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}
