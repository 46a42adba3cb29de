import type { DB } from '../../db/database.ts';

/**
 * Claims a webhook token: true the first time `key` is seen, false for every later request with it, however many
 * arrive at once (one INSERT … ON CONFLICT DO NOTHING on the primary key, and whether it inserted a row). Call it in
 * the transaction that acts on the request, so that a request that fails leaves its token unclaimed for a retry.
 * The row is kept until `expiresAt` (longer than a signature is accepted), then the purge job deletes it.
 */
export async function claimWebhookToken(db: DB, key: string, expiresAt: number): Promise<boolean> {
  const row = await db
    .insertInto('webhook_replays')
    .values({ key, expires_at: expiresAt })
    .onConflict((oc) => oc.doNothing())
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}
