import type { DB } from '../../db/database.ts';

export interface Undeliverable {
  /** The address mail could not be delivered to, lower-cased. */
  address: string;
  /** Why, in the words of the bounce (one line for administrators). */
  reason: string;
  /** Who reported it: 'mailgun' (its "failed" event) or 'imap' (a DSN that arrived by mail). */
  source: string;
  now: number;
}

/**
 * Marks an address undeliverable, or counts one more bounce for it (the latest reason and time win). One upsert, so
 * parallel reports of the same address neither fail nor lose a count.
 */
export async function recordUndeliverable(db: DB, entry: Undeliverable): Promise<void> {
  const reason = entry.reason.slice(0, 1000);
  const address = entry.address.trim().toLowerCase().slice(0, 320);
  await db
    .insertInto('undeliverable_addresses')
    .values({
      address,
      reason,
      source: entry.source.slice(0, 20),
      bounces: 1,
      first_at: entry.now,
      last_at: entry.now,
    })
    .onConflict((oc) =>
      oc.column('address').doUpdateSet((eb) => ({
        bounces: eb('undeliverable_addresses.bounces', '+', 1),
        reason,
        source: entry.source.slice(0, 20),
        last_at: entry.now,
      })),
    )
    .execute();
}
