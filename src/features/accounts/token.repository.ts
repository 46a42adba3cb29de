import type { ExpressionBuilder } from 'kysely';
import type { Database, DB, TokenPurpose, UserToken } from '../../db/database.ts';
import { randomToken, sha256Hex } from '../../lib/crypto.ts';

export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  verify_email: 24 * 3_600_000,
  change_email: 24 * 3_600_000,
  reset_password: 3_600_000,
  invite: 7 * 24 * 3_600_000,
  unlock: 24 * 3_600_000,
};

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Issues a single-use token (256 random bits) and voids the user's earlier unused ones for the same
 * purpose. Only its SHA-256 is stored; the raw token goes into the email link and nowhere else.
 * The token is bound to `accountEmail`, the account address the link is mailed to (for change_email, the
 * address being replaced); left out, it is the account's address in the database at this moment.
 */
export async function issueToken(
  db: DB,
  now: number,
  userId: number,
  purpose: TokenPurpose,
  newEmail: string | null = null,
  accountEmail: string | null = null,
): Promise<string> {
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
    .columns(['user_id', 'purpose', 'token_hash', 'new_email', 'account_email', 'created_at', 'expires_at', 'used_at'])
    .expression((eb) =>
      eb
        .selectFrom('users')
        .select((s) => [
          s.val(userId).as('user_id'),
          s.val(purpose).as('purpose'),
          s.val(sha256Hex(token)).as('token_hash'),
          s.val(newEmail).as('new_email'),
          (accountEmail === null ? s.ref('users.email') : s.val(accountEmail)).as('account_email'),
          s.val(now).as('created_at'),
          s.val(now + TOKEN_TTL_MS[purpose]).as('expires_at'),
          s.val(null).as('used_at'),
        ])
        .where('users.id', '=', userId),
    )
    .execute();
  return token;
}

/** Voids every unused token of the account (its address changed, or it was disabled). */
export async function voidTokensOfUser(db: DB, userId: number, now: number): Promise<number> {
  const result = await db
    .updateTable('user_tokens')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The one rule for a token that may be used now: this hash and purpose, not used, not expired, and its account
 * still matches (peeking and consuming must agree, or a link would show a form it then refuses).
 */
function isUsable(token: string, purpose: TokenPurpose, now: number) {
  return (eb: ExpressionBuilder<Database, 'user_tokens'>) =>
    eb.and([
      eb('token_hash', '=', sha256Hex(token)),
      eb('purpose', '=', purpose),
      eb('used_at', 'is', null),
      eb('expires_at', '>', now),
      accountStillMatches(eb),
    ]);
}

/** The token's account still has the address the token was issued for and is not disabled. */
function accountStillMatches(eb: ExpressionBuilder<Database, 'user_tokens'>) {
  return eb.exists(
    eb
      .selectFrom('users')
      .select('users.id')
      .whereRef('users.id', '=', 'user_tokens.user_id')
      .whereRef('users.email', '=', 'user_tokens.account_email')
      .where('users.disabled_at', 'is', null),
  );
}

/** The token's row if it is valid right now, without using it up (for showing the confirmation form). */
export async function peekToken(
  db: DB,
  token: string,
  purpose: TokenPurpose,
  now: number,
): Promise<UserToken | undefined> {
  if (!TOKEN_PATTERN.test(token)) {
    return undefined;
  }
  return db
    .selectFrom('user_tokens')
    .selectAll()
    .where(isUsable(token, purpose, now))
    .executeTakeFirst();
}

/**
 * Uses the token up. A single conditional UPDATE, so of two requests racing with the same token exactly
 * one gets the row back; the same statement checks that the account still has the token's address and is
 * active, so nothing can change between that check and the use.
 */
export async function consumeToken(
  db: DB,
  token: string,
  purpose: TokenPurpose,
  now: number,
): Promise<UserToken | undefined> {
  if (!TOKEN_PATTERN.test(token)) {
    return undefined;
  }
  return db
    .updateTable('user_tokens')
    .set({ used_at: now })
    .where(isUsable(token, purpose, now))
    .returningAll()
    .executeTakeFirst();
}

/** The address an unused, unexpired change-of-email link would switch the account to, or null. */
export async function findPendingEmailChange(db: DB, userId: number, now: number): Promise<string | null> {
  const row = await db
    .selectFrom('user_tokens')
    .select('new_email')
    .where('user_id', '=', userId)
    .where('purpose', '=', 'change_email')
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row?.new_email ?? null;
}

/** Whether the account was ever sent an invitation (used, voided or live): it was created by an administrator. */
export async function wasInvited(db: DB, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom('user_tokens')
    .select('id')
    .where('user_id', '=', userId)
    .where('purpose', '=', 'invite')
    .executeTakeFirst();
  return row !== undefined;
}
